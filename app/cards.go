package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/skip2/go-qrcode"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
)

// newIssuer loads (or creates) the signing keys in the data directory and
// derives the instance's issuer identity from its base URL.
func newIssuer(cfg Config, now time.Time) (*assessments.Issuer, error) {
	did, err := card.DIDWeb(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.BaseURL)
	origin := u.Host + strings.TrimRight(u.Path, "/") + "/cards-log"
	witness := u.Host + strings.TrimRight(u.Path, "/") + "/witness"
	keys, err := card.LoadKeys(cfg.keyDir(), origin, witness, now)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	name := cfg.IssuerName
	if name == "" {
		name = "DMF maturity cards · " + u.Host
	}
	// The log keeps the origin its key was made with.
	if i := strings.Index(keys.LogKey, "+"); i > 0 {
		origin = keys.LogKey[:i]
	}
	return &assessments.Issuer{BaseURL: cfg.BaseURL, DID: did, Name: name, Origin: origin, Keys: keys}, nil
}

// pinnedDIDs reads the DID documents of other instances whose cards this
// instance accepts (the interstate case).
func pinnedDIDs(pinned []string) (map[string]*card.DIDDocument, error) {
	out := map[string]*card.DIDDocument{}
	for _, path := range pinned {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("trusted DID document: %w", err)
		}
		doc, err := card.ParseDIDDocument(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out[doc.ID] = doc
	}
	return out, nil
}

// showDID serves the issuer's DID document: every key any instance has
// published, rotated-out ones included, so that old cards verify.
func (s *server) showDID(c echo.Context) error {
	doc, err := s.store.DIDDocument(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, doc)
}

// showContext serves the JSON-LD context that defines the card's terms.
func (s *server) showContext(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "application/ld+json", card.ContextDocument)
}

// showStatusList serves a signed Bitstring Status List credential.
func (s *server) showStatusList(c echo.Context) error {
	id, err := strconv.Atoi(c.Param("list"))
	if err != nil {
		return assessments.ErrNotFound
	}
	data, err := s.store.StatusList(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return sendVC(c, data)
}

// apiCanonicalEdition serves an edition's canonical content, the exact
// bytes that a card's relatedResource digest covers.
func (s *server) apiCanonicalEdition(c echo.Context) error {
	ed, ok := s.editions.Edition(c.Param("id"), c.Param("version"))
	if !ok {
		return assessments.ErrNotFound
	}
	canon, err := ed.Canonical()
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, canon)
}

// sendCard sends a card's stored bytes, as a download with ?download=1.
func sendCard(c echo.Context, rec *assessments.CardRecord) error {
	if c.QueryParam("download") != "" {
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="dmf-card-`+rec.ID+`.json"`)
	}
	return sendVC(c, rec.Data)
}

// apiCard returns a signed card; cards are public.
func (s *server) apiCard(c echo.Context) error {
	rec, err := s.store.Card(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return sendCard(c, rec)
}

// apiAssessmentCard returns the card of an approved assessment.
func (s *server) apiAssessmentCard(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	rec, err := s.store.CardOf(c.Request().Context(), actorOf(c), id)
	if err != nil {
		return err
	}
	return sendCard(c, rec)
}

// apiCardProof returns the card's C2SP tlog-proof. The format does not say
// what the leaf is: here the leaf data is SHA-256(JCS(signed card)), the
// hash of the card's RFC 8785 canonical form with its proof (card.LeafData),
// and the Merkle leaf hash is RFC 6962's SHA-256(0x00 || leaf data).
func (s *server) apiCardProof(c echo.Context) error {
	proof, err := s.store.CardProof(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if c.QueryParam("download") != "" {
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="dmf-card-`+c.Param("id")+`.tlog-proof"`)
	}
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(proof))
}

// verifier checks cards with this instance's trust list (its own keys,
// as published now, and the pinned documents of other instances), status
// lists, log and editions.
func (s *server) verifier(c echo.Context) (*card.Verifier, error) {
	ctx, err := s.store.VerifyReads(c.Request().Context())
	if err != nil {
		return nil, err
	}
	own, err := s.store.DIDDocument(ctx)
	if err != nil {
		return nil, err
	}
	// Trusted peers' issuer keys (as confirmed, §9) are trusted as the
	// pinned documents of DMF_TRUSTED_DIDS are.
	trusted, err := s.store.TrustedIssuers(ctx)
	if err != nil {
		return nil, err
	}
	for id, doc := range s.pinned {
		trusted[id] = doc
	}
	trusted[own.ID] = own
	v := &card.Verifier{
		Trusted: trusted,
		Now:     time.Now(),
		StatusList: func(u string) ([]byte, error) {
			n, ok := s.issuer.StatusListID(u)
			if !ok {
				return nil, card.ErrListElsewhere
			}
			return s.store.StatusList(ctx, n)
		},
		LeafInclusion: func(leaf []byte) (*card.ParsedProof, *card.Checkpoint, error) {
			proof, err := s.store.LeafProof(ctx, leaf)
			if errors.Is(err, assessments.ErrNotFound) {
				return nil, nil, fmt.Errorf("not in this instance's log (%s)", s.issuer.Origin)
			}
			if err != nil {
				return nil, nil, err
			}
			return card.VerifyLeafInclusion(leaf, proof, s.issuer.Keys.LogKey, &s.verified)
		},
		FrameworkDigest: func(id, version string) (string, bool) {
			ed, ok := s.editions.Edition(id, version)
			if !ok || version == "" {
				return "", false
			}
			return ed.DigestSRI(), true
		},
		Cache: &s.verified,
	}
	return v, s.peerChecks(ctx, v)
}

// maxCardSize bounds what the verifier reads: a card is a few kilobytes.
const maxCardSize = 256 << 10

// apiVerify verifies the card in the body and reports each check.
func (s *server) apiVerify(c echo.Context) error {
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, maxCardSize+1))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the body could not be read")
	}
	if len(data) > maxCardSize {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "a card is at most 256 KB")
	}
	v, err := s.verifier(c)
	if err != nil {
		return err
	}
	r := v.Verify(data)
	s.metrics.verified(r.Valid)
	lang := c.QueryParam("lang")
	if !supported(lang) {
		return c.JSON(http.StatusOK, r)
	}
	// With ?lang=, each check also says in that language what it found,
	// in the words of the verify page; the rest of the shape is the same.
	type check struct {
		card.Check
		Message string `json:"message"`
	}
	out := struct {
		Valid  bool    `json:"valid"`
		Checks []check `json:"checks"`
	}{Valid: r.Valid}
	for _, ch := range r.Checks {
		out.Checks = append(out.Checks, check{ch, s.msgs.T(lang, "verify.plain."+ch.Name+"."+ch.Outcome)})
	}
	return c.JSON(http.StatusOK, out)
}

type revokeRequest struct {
	Reason string `json:"reason"`
}

// apiRevoke revokes a card through its status list.
func (s *server) apiRevoke(c echo.Context) error {
	var req revokeRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	rec, err := s.store.Revoke(c.Request().Context(), actorOf(c), c.Param("id"), req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rec)
}

// apiLog describes the transparency log.
func (s *server) apiLog(c echo.Context) error {
	info, err := s.store.Log(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

// apiCheckpoint serves the latest signed checkpoint, or with ?size= the
// one signed for that size.
func (s *server) apiCheckpoint(c echo.Context) error {
	var cp string
	var err error
	if sz := c.QueryParam("size"); sz != "" {
		n, perr := strconv.ParseInt(sz, 10, 64)
		if perr != nil {
			return assessments.ErrNotFound
		}
		cp, err = s.store.CheckpointAt(c.Request().Context(), n)
	} else {
		cp, err = s.store.Checkpoint(c.Request().Context())
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(cp))
}

// apiConsistency proves that one signed tree size extends another: one
// base64 hash per line.
func (s *server) apiConsistency(c echo.Context) error {
	old, err1 := strconv.ParseInt(c.QueryParam("old"), 10, 64)
	nw, err2 := strconv.ParseInt(c.QueryParam("new"), 10, 64)
	if err1 != nil || err2 != nil {
		return &assessments.ValidationError{Fields: map[string]assessments.Message{"old": {Format: "old and new must be tree sizes"}}}
	}
	proof, err := s.store.Consistency(c.Request().Context(), old, nw)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(b.String()))
}

type cardPage struct {
	Rec      *assessments.CardRecord
	Card     *card.Card
	QR       template.URL // PNG data URI of the verify link
	Verify   string
	Base     string
	CanAdmin bool
	// The public pages of the card's service and provider, as paths on
	// this instance; empty when the card names none.
	ServicePage, ProviderPage string
	// DimNames names each dimension code on the card in the reader's
	// language, from the edition the card was scored with.
	DimNames map[string]string
	// Level is the overall level's name in the reader's language, or the
	// card's own English label when the edition is not on this instance.
	Level string
}

// DimName is the name of a dimension code: the edition's title in the
// reader's language, or the English name the card itself records.
func (p *cardPage) DimName(d card.Dimension) string {
	if n := p.DimNames[d.Dimension]; n != "" {
		return n
	}
	return d.Name
}

// showCard is the printable card: business-card sized, with a QR code to
// its verify page and the JSON and log proof to download.
func (s *server) showCard(c echo.Context) error {
	p, err := s.cardPage(c)
	if err != nil {
		return err
	}
	v := s.render.view(c, s.msgs.T(langOf(c), "card.title")+": "+p.Card.CredentialSubject.Name, p)
	v.Notice = s.notice(c)
	return c.Render(http.StatusOK, "card", v)
}

func (s *server) cardPage(c echo.Context) (*cardPage, error) {
	rec, err := s.store.Card(c.Request().Context(), c.Param("id"))
	if err != nil {
		return nil, err
	}
	cd, err := card.Parse(rec.Data)
	if err != nil {
		return nil, err
	}
	verify := s.issuer.VerifyURL(rec.ID)
	png, err := qrcode.Encode(verify, qrcode.Medium, 220)
	if err != nil {
		return nil, err
	}
	names, a := map[string]string{}, cd.CredentialSubject.Assessment
	level := s.levelName(langOf(c))(a)
	if ed, ok := s.editions.Edition(a.Framework.Identifier, a.Framework.Version); ok {
		for _, d := range ed.Dimensions {
			names[d.ID] = d.Title.In(langOf(c))
		}
	}
	return &cardPage{Rec: rec, Card: cd, Verify: verify, Base: s.issuer.BaseURL, DimNames: names, Level: level,
		QR:           template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		CanAdmin:     actorOf(c).CanRevoke(),
		ServicePage:  localPage(cd.CredentialSubject.ID, s.issuer.BaseURL),
		ProviderPage: localPage(cd.CredentialSubject.Provider.ID, s.issuer.BaseURL),
	}, nil
}

// localPage is the path of a URL under base, or "" for any other URL.
func localPage(u, base string) string {
	if p, ok := strings.CutPrefix(u, base); ok && strings.HasPrefix(p, "/") {
		return p
	}
	return ""
}

// revokeCard is the card page's revoke form.
func (s *server) revokeCard(c echo.Context) error {
	if !confirmed(c) && assessments.CheckRevokeReason(c.FormValue("reason")) == nil {
		p, err := s.cardPage(c)
		if err != nil {
			return err
		}
		lang := langOf(c)
		return s.askConfirm(c, &confirmPage{
			Title:  s.msgs.T(lang, "confirm.revoke.title"),
			Lead:   s.msgs.T(lang, "confirm.revoke.lead", p.Card.CredentialSubject.Name),
			Next:   s.msgs.T(lang, "confirm.revoke.next"),
			Quote:  strings.TrimSpace(c.FormValue("reason")),
			Action: "/cards/" + c.Param("id") + "/revoke",
			Button: s.msgs.T(lang, "confirm.revoke.button"),
			Cancel: "/cards/" + c.Param("id"),
		})
	}
	_, err := s.store.Revoke(c.Request().Context(), actorOf(c), c.Param("id"), c.FormValue("reason"))
	var ve *assessments.ValidationError
	if errors.As(err, &ve) {
		p, perr := s.cardPage(c)
		if perr != nil {
			return perr
		}
		v := s.render.view(c, s.msgs.T(langOf(c), "card.title"), p).withErrors(ve)
		return c.Render(http.StatusUnprocessableEntity, "card", v)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/cards/"+c.Param("id")+"?notice=revoked")
}

type verifyPage struct {
	Input    string
	Report   *card.Report
	CardID   string
	NotCard  string     // why the input is not a card: card.NotJSON, card.NotCredential, "size"
	Unknown  string     // the ?card= id no card here has
	Revoked  bool       // the issuer's status list says revoked
	At       *time.Time // when this instance revoked the card, if it is one of its own
	Reason   string     // the reason this instance published
	Commands []string   // the offline check, as shell commands that work
	Level    string     // the card's overall level named in the reader's language
}

// levelName names a card's overall level in lang from its edition, when
// this instance knows the edition; else as the card states it (English).
func (s *server) levelName(lang string) func(card.Assessment) string {
	return func(a card.Assessment) string {
		if ed, ok := s.editions.Edition(a.Framework.Identifier, a.Framework.Version); ok {
			if l := ed.LevelLabel(a.Overall.Level); l != nil {
				return l.In(lang)
			}
		}
		return a.Overall.Label
	}
}

// showVerify is the public verify page: paste or upload a card, or open
// one by its link (?card=ID).
func (s *server) showVerify(c echo.Context) error {
	p := &verifyPage{}
	status := http.StatusOK
	if id := c.QueryParam("card"); id != "" {
		rec, err := s.store.Card(c.Request().Context(), id)
		switch {
		case errors.Is(err, assessments.ErrNotFound):
			p.Unknown, status = id, http.StatusNotFound
		case err != nil:
			return err
		default:
			v, err := s.verifier(c)
			if err != nil {
				return err
			}
			r := v.Verify(rec.Data)
			s.metrics.verified(r.Valid)
			p.Report, p.CardID = &r, rec.ID
			p.explain(rec, s.cfg.BaseURL, s.issuer.Keys.LogKey, s.levelName(langOf(c)))
		}
	}
	if p.Commands == nil {
		p.explain(nil, s.cfg.BaseURL, s.issuer.Keys.LogKey, s.levelName(langOf(c)))
	}
	return c.Render(status, "verify", s.render.view(c, s.msgs.T(langOf(c), "verify.title"), p))
}

// explain adds what the page says beyond the checks: when and why this
// instance revoked its card, and the commands that check it offline
// (with the log proof too when the card is one of this instance's).
func (p *verifyPage) explain(rec *assessments.CardRecord, base, logKey string, level func(card.Assessment) string) {
	if p.Report != nil {
		p.NotCard = p.Report.NotCard
		p.Revoked = p.Report.Revoked
		if p.Report.Card != nil {
			p.Level = level(p.Report.Card.CredentialSubject.Assessment)
		}
	}
	if rec != nil && rec.RevokedAt != nil && p.Revoked {
		p.At, p.Reason = rec.RevokedAt, rec.RevokedReason
	}
	list := base + "/status/1"
	if p.Report != nil && p.Report.Card != nil && p.Report.Card.CredentialStatus.StatusListCredential != "" {
		list = p.Report.Card.CredentialStatus.StatusListCredential
	}
	p.Commands = []string{
		"curl -o did.json " + base + "/.well-known/did.json",
		"curl -o status.json " + list,
		"go run ./app cards verify --did did.json --status status.json card.json",
	}
	if p.CardID != "" {
		p.Commands = []string{
			"curl -o card.json " + base + "/api/v1/cards/" + p.CardID,
			p.Commands[0], p.Commands[1],
			"curl -o card.tlog-proof " + base + "/api/v1/cards/" + p.CardID + "/tlog-proof",
			"go run ./app cards verify --did did.json --status status.json --proof card.tlog-proof --log-key '" + logKey + "' card.json",
		}
	}
}

// verifyCard checks a pasted or uploaded card.
func (s *server) verifyCard(c echo.Context) error {
	p := &verifyPage{Input: c.FormValue("card")}
	if fh, err := c.FormFile("file"); err == nil {
		if fh.Size > maxCardSize {
			p.NotCard = "size"
			p.explain(nil, s.cfg.BaseURL, s.issuer.Keys.LogKey, s.levelName(langOf(c)))
			return c.Render(http.StatusRequestEntityTooLarge, "verify", s.render.view(c, s.msgs.T(langOf(c), "verify.title"), p))
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(io.LimitReader(f, maxCardSize))
		f.Close()
		if err != nil {
			return err
		}
		p.Input = string(data)
	}
	if len(p.Input) > maxCardSize {
		p.NotCard, p.Input = "size", ""
		p.explain(nil, s.cfg.BaseURL, s.issuer.Keys.LogKey, s.levelName(langOf(c)))
		return c.Render(http.StatusRequestEntityTooLarge, "verify", s.render.view(c, s.msgs.T(langOf(c), "verify.title"), p))
	}
	if strings.TrimSpace(p.Input) == "" {
		p.explain(nil, s.cfg.BaseURL, s.issuer.Keys.LogKey, s.levelName(langOf(c)))
		v := s.render.view(c, s.msgs.T(langOf(c), "verify.title"), p).withErrors(&assessments.ValidationError{
			Fields: map[string]assessments.Message{"card": {Format: "paste a card or choose its file"}}})
		return c.Render(http.StatusUnprocessableEntity, "verify", v)
	}
	v, err := s.verifier(c)
	if err != nil {
		return err
	}
	r := v.Verify([]byte(p.Input))
	s.metrics.verified(r.Valid)
	p.Report = &r
	var rec *assessments.CardRecord
	if leaf, err := card.LeafData([]byte(p.Input)); err == nil {
		if found, err := s.store.CardByLeaf(c.Request().Context(), leaf); err == nil {
			rec, p.CardID = found, found.ID
		}
	}
	base, logKey := s.issuerOf(c.Request().Context(), &r)
	p.explain(rec, base, logKey, s.levelName(langOf(c)))
	return c.Render(http.StatusOK, "verify", s.render.view(c, s.msgs.T(langOf(c), "verify.title"), p))
}

// sendVC sends a signed credential's bytes under the media type the
// client accepts (vcMediaType).
func sendVC(c echo.Context, data []byte) error {
	c.Response().Header().Add(echo.HeaderVary, echo.HeaderAccept)
	return c.Blob(http.StatusOK, vcMediaType(c.Request().Header.Get(echo.HeaderAccept)), data)
}

// vcMediaType is the media type to send a credential as: application/vc
// (VC Data Model 2.0 §6.3), unless the client asks only for JSON-LD or
// JSON, as JSON-LD document loaders do; the bytes are the same.
func vcMediaType(accept string) string {
	switch {
	case accept == "" || strings.Contains(accept, "application/vc") || strings.Contains(accept, "*/*"):
		return "application/vc"
	case strings.Contains(accept, "application/ld+json"):
		return "application/ld+json"
	case strings.Contains(accept, "application/json"):
		return echo.MIMEApplicationJSON
	}
	return "application/vc"
}

// shareable marks a public, read-only trust resource (card, DID document,
// status list, context, schema, log, proof): any site may read it, and
// the csrf middleware sets no cookie on it (see isTrustResource).
func shareable(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set(echo.HeaderAccessControlAllowOrigin, "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		return next(c)
	}
}

// preflight answers a browser's CORS preflight for a shareable POST.
func preflight(c echo.Context) error {
	h := c.Response().Header()
	h.Set(echo.HeaderAccessControlAllowMethods, "POST")
	h.Set(echo.HeaderAccessControlAllowHeaders, "Content-Type")
	h.Set(echo.HeaderAccessControlMaxAge, "86400")
	return c.NoContent(http.StatusNoContent)
}

// credentialsVerify is the VC-API verifier (POST /credentials/verify): is
// the eddsa-jcs-2022 proof of any credential by a did:key, this instance
// or a pinned peer valid, and, apart from that, is its issuer trusted here.
func (s *server) credentialsVerify(c echo.Context) error {
	ctx, err := s.store.VerifyReads(c.Request().Context())
	if err != nil {
		return err
	}
	own, err := s.store.DIDDocument(ctx)
	if err != nil {
		return err
	}
	docs := map[string]*card.DIDDocument{own.ID: own}
	for id, doc := range s.pinned {
		docs[id] = doc
	}
	// Trusted peers' cards verify here too, with their status lists.
	ps, err := s.store.TrustedPeers(ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if doc, err := card.ParseDIDDocument([]byte(p.DIDDocument)); err == nil && docs[doc.ID] == nil {
			docs[doc.ID] = doc
		}
	}
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxCardSize)
	v := &card.CredentialVerifier{
		Now: time.Now(),
		ResolveDIDWeb: func(vm string) (ed25519.PublicKey, error) {
			did, _, _ := strings.Cut(vm, "#")
			doc, ok := docs[did]
			if !ok {
				return nil, fmt.Errorf("%s is neither this instance nor a peer it pins", did)
			}
			return doc.AssertionKey(vm)
		},
		StatusList: func(u string) ([]byte, error) {
			n, ok := s.issuer.StatusListID(u)
			if !ok {
				data, err := s.hub.StatusList(ctx, ps, u)
				if errors.Is(err, card.ErrListElsewhere) {
					return nil, errors.New("the list belongs to another instance and cannot be fetched here")
				}
				return data, err
			}
			return s.store.StatusList(ctx, n)
		},
		Trusted:       func(issuer string) bool { return docs[issuer] != nil },
		UntrustedType: s.cfg.BaseURL + "/verify", // the page that explains the checks
	}
	return vcapiVerify(c, v)
}
