// Package assessments is the domain of DMF: organisations and their
// services, self-assessments and their answers, scoring, review, the
// country comparison and its privacy rule, the audit log, accounts, and the
// issuing of signed cards into the transparency log.
//
// Its contract:
//   - Store is the one persistence type, over GORM (SQLite or PostgreSQL).
//     Open returns it ready: schema migrated, editions recorded, issuer set.
//   - Every method that reads or changes private data takes the Actor who
//     asks, and the Actor's methods (CanEdit, CanReview, SeesAllCountries,
//     …) are the only authorization rules; others' data is ErrNotFound.
//   - Every state change writes its audit row in the same transaction, and
//     an approval issues, signs and logs its card in that transaction too.
//   - Score is a pure function of an edition and answers.
//   - Errors are the sentinels in errors.go, *ValidationError and
//     *IncompleteError, wrapped in an OpError naming the operation; app
//     maps them to statuses once and shows users only UserError(err).
//
// Nothing here knows about HTTP; card/ is a leaf that knows nothing of the
// store.
package assessments
