package assessments

import (
	"database/sql"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// maxInsertRows bounds the rows of one statement of insertRows.
const maxInsertRows = 500

// insertRows inserts n rows into table in one statement, row(i) giving
// the values of row i in columns' order, with suffix after the values
// (an ON CONFLICT clause, say), on SQLite and PostgreSQL alike. An
// approval writes some fifty rows of scores, counts and log hashes, and
// GORM's Create, which reflects on every field of every row, cost it more
// than the database did.
func insertRows(tx *gorm.DB, table string, columns []string, n int, row func(i int) []any, suffix string) error {
	// At most maxInsertRows a statement: the databases bound the
	// placeholders of one (SQLite to 32,766, PostgreSQL to 65,535).
	for ; n > maxInsertRows; n -= maxInsertRows {
		if err := insertRows(tx, table, columns, maxInsertRows, row, suffix); err != nil {
			return err
		}
		next := row
		row = func(i int) []any { return next(i + maxInsertRows) }
	}
	if n == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	values := "(" + strings.Repeat("?, ", len(columns)-1) + "?)"
	args := make([]any, 0, n*len(columns))
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(values)
		args = append(args, row(i)...)
	}
	b.WriteString(suffix)
	return execSQL(tx, b.String(), args...)
}

// execSQL runs a fixed statement as written, with ? placeholders, on tx's
// connection without GORM's parsing and callbacks: the statements of an
// answer save, which run in the writer's turn, where the one write lock
// is what every save waits for.
func execSQL(tx *gorm.DB, query string, args ...any) error {
	_, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, bindVars(tx, query), args...)
	return err
}

// inList is the placeholders of an IN list of n values, "(?, ?, …)";
// n > 0.
func inList(n int) string { return "(?" + strings.Repeat(", ?", n-1) + ")" }

// translated is err as GORM would return it from the same statement:
// gorm.ErrDuplicatedKey for a unique key's violation, on either database.
func translated(tx *gorm.DB, err error) error {
	if t, ok := tx.Dialector.(gorm.ErrorTranslator); ok && err != nil {
		return t.Translate(err)
	}
	return err
}

// queryOne runs a fixed statement (see execSQL) that reads at most one
// row, into dest; ErrNotFound if it reads none.
func queryOne(tx *gorm.DB, query string, args []any, dest ...any) error {
	rows, err := querySQL(tx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return ErrNotFound
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// querySQL is execSQL for a query.
func querySQL(tx *gorm.DB, query string, args ...any) (*sql.Rows, error) {
	return tx.Statement.ConnPool.QueryContext(tx.Statement.Context, bindVars(tx, query), args...)
}

// bindVars numbers the ? placeholders of a fixed statement for
// PostgreSQL ($1, $2, …); SQLite takes them as they are. The statements
// given to it have no ? inside a literal.
func bindVars(tx *gorm.DB, query string) string {
	if tx.Dialector.Name() != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
