package assessments

import (
	"context"
)

// MaxFeedLimit bounds one page of the card feed: a card is a few
// kilobytes, so a page stays well under what a peer reads in one answer.
const MaxFeedLimit = 200

// CardFeed is one page of the public feed of issued cards in log order,
// which peers (a regional hub) read to keep this instance's cards.
type CardFeed struct {
	Size  int64        // the log's size now
	Next  int64        // the after= of the following page
	Cards []CardRecord // log indexes after, after+1, …
}

// Feed returns up to limit issued cards whose log index is at least
// after: after is the number of log entries the reader already has, so a
// reader starts at 0 and continues from Next. Revoked cards stay in the
// feed, as they stay in the log; readers check each card's status list.
func (s *Store) Feed(ctx context.Context, after int64, limit int) (_ *CardFeed, err error) {
	defer wrap(&err, "read the card feed after %d", after)
	v := invalid{}
	if after < 0 {
		v.add("after", "must be a log index of 0 or more")
	}
	if limit < 1 || limit > MaxFeedLimit {
		v.add("limit", "must be between 1 and %d", MaxFeedLimit)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	f := &CardFeed{Next: after}
	if f.Size, err = logSize(db); err != nil {
		return nil, err
	}
	if err := db.Where("log_index >= ?", after).Order("log_index").Limit(limit).Find(&f.Cards).Error; err != nil {
		return nil, err
	}
	if n := len(f.Cards); n > 0 {
		f.Next = f.Cards[n-1].LogIndex + 1
	}
	return f, nil
}
