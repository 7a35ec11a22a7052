package assessments

import (
	"context"
	"database/sql"
	"sync"

	"gorm.io/gorm"
)

// stmtPool is the SQLite connection pool as GORM sees it, with each
// statement prepared once per connection and kept.
//
// GORM's own PrepareStmt caches a statement first met inside a transaction
// as that transaction's, and database/sql then prepares it again in every
// later transaction: a fifth of an answer save's CPU went to
// sqlite3_prepare. Here every statement is prepared on the pool, and a
// transaction borrows it (sql.Tx.StmtContext), which reuses the copy
// already prepared on the transaction's connection.
// (PostgreSQL's driver, pgx, keeps its own cache of prepared statements.)
//
// Statements run without the caller's cancellation (see calm): the SQLite
// driver watches a cancellable context by starting a goroutine for every
// row read and every statement run, which cost a save more than its
// reads. What is given up is interrupting a running statement when a
// client goes away; the store's statements are point reads, writes and
// bounded pages, and a reader never blocks the writer (WAL).
type stmtPool struct {
	db    *sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// maxStmts bounds the cache: a statement with an IN list is a new text for
// each length of the list. Texts beyond it run unprepared.
const maxStmts = 512

func newStmtPool(db *sql.DB) *stmtPool {
	return &stmtPool{db: db, stmts: map[string]*sql.Stmt{}}
}

// stmt returns the prepared statement of a query, or nil past maxStmts.
func (p *stmtPool) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	p.mu.RLock()
	st, ok := p.stmts[query]
	p.mu.RUnlock()
	if ok {
		return st, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[query]; ok {
		return st, nil
	}
	if len(p.stmts) >= maxStmts {
		return nil, nil
	}
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.stmts[query] = st
	return st, nil
}

func (p *stmtPool) GetDBConn() (*sql.DB, error) { return p.db, nil }

func (p *stmtPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.db.PrepareContext(ctx, query)
}

// calm is ctx without its cancellation (and deadline), keeping its values.
func calm(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

func (p *stmtPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = calm(ctx)
	st, err := p.stmt(ctx, query)
	if err != nil || st == nil {
		return p.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (p *stmtPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = calm(ctx)
	st, err := p.stmt(ctx, query)
	if err != nil || st == nil {
		return p.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (p *stmtPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = calm(ctx)
	st, err := p.stmt(ctx, query)
	if err != nil || st == nil {
		return p.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (p *stmtPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &stmtTx{Tx: tx, pool: p}, nil
}

// stmtTx is a transaction that borrows the pool's prepared statements.
type stmtTx struct {
	*sql.Tx
	pool *stmtPool
}

func (t *stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = calm(ctx)
	st, err := t.pool.stmt(ctx, query)
	if err != nil || st == nil {
		return t.Tx.ExecContext(ctx, query, args...)
	}
	return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

func (t *stmtTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = calm(ctx)
	st, err := t.pool.stmt(ctx, query)
	if err != nil || st == nil {
		return t.Tx.QueryContext(ctx, query, args...)
	}
	return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

func (t *stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = calm(ctx)
	st, err := t.pool.stmt(ctx, query)
	if err != nil || st == nil {
		return t.Tx.QueryRowContext(ctx, query, args...)
	}
	return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}
