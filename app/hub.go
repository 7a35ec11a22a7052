package main

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/unescap/dmf/assessments"
)

// feedDefaultLimit is the page size of the card feed when none is asked.
const feedDefaultLimit = 100

type feedCardJSON struct {
	LogIndex int64           `json:"log_index"`
	ID       string          `json:"id"`
	Proof    string          `json:"proof"` // the card's tlog-proof, to check its inclusion
	Card     json.RawMessage `json:"card"`  // the signed card as issued
}

type feedJSON struct {
	Origin string         `json:"origin"` // the log the indexes are of
	Size   int64          `json:"size"`
	Next   int64          `json:"next"` // after= of the next page; equal to size at the end
	Cards  []feedCardJSON `json:"cards"`
}

// apiCardFeed is the public feed of issued cards in log order
// (GET /api/v1/cards?after=N&limit=M), which a regional hub reads.
func (s *server) apiCardFeed(c echo.Context) error {
	after, limit := int64(0), feedDefaultLimit
	bad := map[string]assessments.Message{}
	if v := c.QueryParam("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			bad["after"] = assessments.Message{Format: "must be a log index of 0 or more"}
		}
		after = n
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad["limit"] = assessments.Message{Format: "must be between 1 and %d", Args: []any{assessments.MaxFeedLimit}}
		}
		limit = n
	}
	if len(bad) > 0 {
		return &assessments.ValidationError{Fields: bad}
	}
	f, err := s.store.Feed(c.Request().Context(), after, limit)
	if err != nil {
		return err
	}
	out := feedJSON{Origin: s.issuer.Origin, Size: f.Size, Next: f.Next, Cards: []feedCardJSON{}}
	for _, rec := range f.Cards {
		out.Cards = append(out.Cards, feedCardJSON{LogIndex: rec.LogIndex, ID: rec.ID,
			Proof: s.issuer.BaseURL + "/api/v1/cards/" + rec.ID + "/tlog-proof", Card: rec.Data})
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.JSON(http.StatusOK, out)
}
