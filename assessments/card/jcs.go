package card

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// canonicalJSON is data in the JSON Canonicalization Scheme (RFC 8785),
// or an error for what JCS refuses: invalid JSON or UTF-8, duplicate
// member names, lone surrogates, and numbers beyond IEEE 754 doubles.
//
// jsontext (the Go team's encoding/json/v2 prototype, to become the
// standard library's encoding/json/jsontext) canonicalises in one pass
// with one allocation, five times as fast as gowebpki/jcs, which parsed
// into a tree of a thousand allocations per card: signing and verifying
// spent half their time there. It rounds an overflowing number to the
// largest double instead of refusing it, so where that number appears in
// the result, finite looks at the input's numbers: two documents must
// never share a canonical form.
func canonicalJSON(data []byte) ([]byte, error) {
	v := jsontext.Value(bytes.Clone(data))
	if err := v.Canonicalize(); err != nil {
		return nil, err
	}
	if bytes.Contains(v, []byte(maxDouble)) {
		if err := finite(data); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// maxDouble is the largest double as JCS writes it.
const maxDouble = "1.7976931348623157e+308"

// finite refuses a JSON text with a number a double cannot hold.
func finite(data []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err // Canonicalize reports it the same way
		}
		if tok.Kind() == '0' {
			if _, err := strconv.ParseFloat(tok.String(), 64); errors.Is(err, strconv.ErrRange) && !underflow(tok.String()) {
				return fmt.Errorf("number %s is beyond an IEEE 754 double", tok.String())
			}
		}
	}
}

// underflow reports whether a number out of range is a tiny one, which
// rounds to zero as JavaScript's does, rather than a huge one.
func underflow(num string) bool {
	f, _ := strconv.ParseFloat(num, 64)
	return f == 0
}
