package assessments

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Sentinel errors. The web layer maps each to one status, in one place.
var (
	ErrNotFound       = errors.New("not found")                // 404; also what others' data looks like
	ErrForbidden      = errors.New("not allowed")              // 403
	ErrReadOnly       = errors.New("assessment is read-only")  // 409: submitted or approved
	ErrDuplicate      = errors.New("already exists")           // 409
	ErrBadCredentials = errors.New("wrong email or password")  // 401, the same for unknown emails
	ErrThrottled      = errors.New("too many failed sign-ins") // 429
	ErrExpired        = errors.New("session expired")          // 401
	// ErrPasswordChangeRequired: the account's password was chosen by
	// someone else (generated or set by an admin) and must be replaced
	// before it is used for anything else, an API token included. 403.
	ErrPasswordChangeRequired = errors.New("choose your own password first: POST /api/v1/account/password with {email, current, new}")
)

// OpError is an error with the store operation that met it, such as
// "submit assessment 42", so that a failure in the log says what failed.
// Users are shown only what is inside it (see UserError).
type OpError struct {
	Op  string
	Err error
}

func (e *OpError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *OpError) Unwrap() error { return e.Err }

// wrap, deferred at the top of a Store method with a named error result,
// names the operation in the error the method returns, as pkgsite's
// derrors.Wrap does. Sentinels and error types stay matchable.
func wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = &OpError{Op: fmt.Sprintf(format, args...), Err: *errp}
	}
}

// UserError is err without the operations that wrapped it: the reason a
// person can act on ("assessment is read-only: it is submitted"), not the
// call path that met it.
func UserError(err error) error {
	var op *OpError
	for errors.As(err, &op) {
		err = op.Err
	}
	return err
}

// Message is a reason in English with its arguments kept apart, so that
// the web layer can show it in the user's language: Format is the key of
// its translation.
type Message struct {
	Format string
	Args   []any
}

func (m Message) String() string { return fmt.Sprintf(m.Format, m.Args...) }

// ValidationError lists each invalid field with the reason, for a 422 and
// for re-rendering a form next to its fields.
type ValidationError struct {
	Fields map[string]Message
}

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k].String()
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// fieldError is a ValidationError about one field.
func fieldError(field, format string, args ...any) *ValidationError {
	return &ValidationError{Fields: map[string]Message{field: {format, args}}}
}

// invalid collects field problems; err returns nil when there are none.
type invalid map[string]Message

func (v invalid) add(field, format string, args ...any) {
	if _, ok := v[field]; !ok { // the first reason per field is the clearest
		v[field] = Message{format, args}
	}
}

func (v invalid) addMessage(field string, m Message) {
	if _, ok := v[field]; !ok {
		v[field] = m
	}
}

func (v invalid) err() error {
	if len(v) == 0 {
		return nil
	}
	return &ValidationError{Fields: v}
}

// ConflictError is a save based on an older version of the assessment.
// Changed names the indicators saved by others since that version.
type ConflictError struct {
	Current int
	Changed []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the assessment has changed since the version you started from (now version %d; changed: %s)",
		e.Current, strings.Join(e.Changed, ", "))
}

// IncompleteError is a submission with unanswered indicators.
type IncompleteError struct {
	Missing []string
	Country []string // of Missing, the scope: country ones the country's coordinator must answer
}

func (e *IncompleteError) Error() string {
	msg := fmt.Sprintf("%d indicators still need an answer: %s", len(e.Missing), strings.Join(e.Missing, ", "))
	if len(e.Missing) == 1 {
		msg = "1 indicator still needs an answer: " + e.Missing[0]
	}
	if len(e.Country) > 0 {
		msg += fmt.Sprintf("; the country's coordinator must answer %s for the whole country", strings.Join(e.Country, ", "))
	}
	return msg
}
