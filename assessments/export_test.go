package assessments

import (
	"context"

	"github.com/unescap/dmf/frameworks"
)

// Exports for the tests of package assessments_test only.

// LockEdition marks an edition as used, as an assessment of it does.
func (s *Store) LockEdition(ctx context.Context, ed *frameworks.Edition) error {
	return s.lockEdition(s.db.WithContext(ctx), ed)
}

// SetObserver replaces the observer that Open was given, so that a test
// can watch a world that is already set up.
func (s *Store) SetObserver(o Observer) { s.observer = o }

// LoginAttempts counts the stored sign-in attempts, expired ones included.
func (s *Store) LoginAttempts(ctx context.Context) int64 {
	var n int64
	s.db.WithContext(ctx).Model(&loginAttempt{}).Count(&n)
	return n
}
