package main

import (
	"encoding/json"
	"testing"

	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/frameworks"
)

// FuzzDecodeAnswers feeds arbitrary JSON to the answers decoder and the
// validation behind PUT /api/v1/assessments/{id}/answers: never a panic,
// and whatever passes validation scores within 0–100 with completeness in
// 0–1. Seeds: testdata/fuzz/FuzzDecodeAnswers.
func FuzzDecodeAnswers(f *testing.F) {
	cat, _, err := frameworks.Embedded()
	if err != nil {
		f.Fatal(err)
	}
	ed, _ := cat.Edition("escap-dmf-dps-sme", "")
	f.Fuzz(func(t *testing.T, body []byte) {
		var req saveAnswersRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		answers, err := decodeAnswers(req.Answers)
		if err != nil {
			return
		}
		if assessments.ValidateAnswers(ed, answers) != nil {
			return
		}
		r := assessments.Score(ed, answers)
		if r.Completeness < 0 || r.Completeness > 1 || (r.Overall.Scored && (r.Overall.Score < 0 || r.Overall.Score > 100)) {
			t.Fatalf("valid answers scored out of range: %+v", r)
		}
	})
}
