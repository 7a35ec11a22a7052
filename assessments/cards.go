package assessments

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/unescap/dmf/assessments/card"
	"github.com/unescap/dmf/frameworks"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Issuer is what the store needs to issue cards: the instance's public
// URL and identity, and its keys.
type Issuer struct {
	BaseURL string
	DID     string // did:web:HOST
	Name    string // shown as the card's issuer name
	Origin  string // the transparency log's origin line and key name
	Keys    *card.Keys
	// Translate puts a domain message in a language, for the card's name
	// and description in each language of the edition; nil: English.
	Translate func(lang string, m Message) string
	// Languages the card's name and description are written in besides
	// its edition's (the interface's: a card is read in all of them).
	Languages []string
}

// text is a message in lang.
func (is *Issuer) text(lang string, m Message) string {
	if is.Translate == nil {
		return m.String()
	}
	return is.Translate(lang, m)
}

// ImageURL is the picture of a card that the card names as its image.
func (is *Issuer) ImageURL(id string) string { return is.CardURL(id) + "/image.svg" }

// CardRecord is an issued card: the exact bytes signed, its status entry
// and its place in the log. Revoking sets RevokedAt; a card is never
// deleted.
type CardRecord struct {
	ID            string     `gorm:"primaryKey;size:36" json:"id"`
	AssessmentID  uint       `gorm:"not null;uniqueIndex" json:"assessment_id"`
	Data          []byte     `gorm:"not null" json:"-"`
	LeafHash      string     `gorm:"not null;uniqueIndex;size:64" json:"-"` // hex SHA-256 of the canonical card
	StatusList    int        `gorm:"not null;uniqueIndex:ux_card_status" json:"status_list"`
	StatusIndex   int        `gorm:"not null;uniqueIndex:ux_card_status" json:"status_index"`
	LogIndex      int64      `gorm:"not null" json:"log_index"`
	IssuedAt      time.Time  `gorm:"not null" json:"issued_at"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	RevokedReason string     `gorm:"not null;default:''" json:"revoked_reason,omitempty"`
	RevokedByID   *uint      `json:"-"`
}

func (CardRecord) TableName() string { return "cards" }

// statusList is a Bitstring Status List and its current signed credential.
type statusList struct {
	ID         int    `gorm:"primaryKey;autoIncrement:false"`
	Bits       []byte `gorm:"not null"`
	Credential []byte `gorm:"not null"`
	UpdatedAt  time.Time
}

// The public addresses that a card names. They are built here and only
// here, so that a card and the routes that serve what it names cannot
// drift apart (app's routes test fetches every URL of a fresh card).

// StatusListURL is where the store's status list id is served.
func (is *Issuer) StatusListURL(id int) string { return is.BaseURL + "/status/" + strconv.Itoa(id) }

// StatusListID is the inverse of StatusListURL: the id of one of this
// instance's status lists, or false for any other address.
func (is *Issuer) StatusListID(u string) (int, bool) {
	rest, ok := strings.CutPrefix(u, is.BaseURL+"/status/")
	n, err := strconv.Atoi(rest)
	return n, ok && err == nil && n > 0
}

// CardURL is a card's id and the address of its printable page.
func (is *Issuer) CardURL(id string) string { return is.BaseURL + "/cards/" + id }

// VerifyURL is the verify page of a card, which the printed QR code opens.
func (is *Issuer) VerifyURL(id string) string {
	return is.BaseURL + "/verify?card=" + url.QueryEscape(id)
}

// ServiceURL is a service's public page, the card subject's id.
func (is *Issuer) ServiceURL(id uint) string { return fmt.Sprintf("%s/services/%d", is.BaseURL, id) }

// OrganisationURL is a provider's public page.
func (is *Issuer) OrganisationURL(id uint) string {
	return fmt.Sprintf("%s/organisations/%d", is.BaseURL, id)
}

// AssessmentURL is the assessment behind a card (a signed-in page).
func (is *Issuer) AssessmentURL(id uint) string {
	return fmt.Sprintf("%s/assessments/%d", is.BaseURL, id)
}

// EditionURL is the canonical form of an edition, which a card pins by
// digest.
func (is *Issuer) EditionURL(ed *frameworks.Edition) string {
	return fmt.Sprintf("%s/api/v1/frameworks/%s/%s/canonical", is.BaseURL, ed.ID, ed.Version)
}

// signedCard is a card built and signed for an assessment, and what it
// was made from: an approval signs its card before its turn in the batch
// writer (see presign), where signing would keep every other approval
// waiting, and the writer checks that what it was made from still holds.
type signedCard struct {
	id          string
	list, index int    // its status entry
	data, leaf  []byte // the signed card and its log leaf
	version     int    // of the assessment, whose answers it scores
	submittedAt time.Time
	answers     Answers // the answers it scores, and their result
	result      Result
}

// answersOf returns the answers pre scored and their result, if pre was
// made from the assessment as a is now; nil otherwise.
func (pre *signedCard) answersOf(a *Assessment) (Answers, Result) {
	if !pre.sameSubmission(a) {
		return nil, Result{}
	}
	return pre.answers, pre.result
}

// sameSubmission reports whether pre was made from the assessment as a is
// now: the same version and submission, so the same answers.
func (pre *signedCard) sameSubmission(a *Assessment) bool {
	return pre != nil && a.Version == pre.version && a.SubmittedAt != nil && a.SubmittedAt.Equal(pre.submittedAt)
}

// issueCard stores and logs the card of an assessment being approved,
// inside the approval's transaction: a card exists exactly when its
// approval does, and its log entry with it. The approvals' batch (see
// logBatch) holds the log lock and signs the checkpoint. pre, the card
// signed before the transaction, is used if the assessment is still the
// one it was made from and its status entry is still free; otherwise
// (or if nil) the card is signed here.
func (s *Store) issueCard(tx *gorm.DB, a *Assessment, ed *frameworks.Edition, res Result, pre *signedCard) error {
	ok, err := s.stillHolds(tx, a, pre)
	if err != nil {
		return err
	}
	if !ok {
		list, index, err := s.allocateStatus(tx)
		if err != nil {
			return err
		}
		if pre, err = s.signCard(tx, a, ed, res, list, index); err != nil {
			return err
		}
	}
	logIndex, err := s.appendLog(tx, pre.leaf)
	if err != nil {
		return err
	}
	rec := CardRecord{ID: pre.id, AssessmentID: a.ID, Data: pre.data, LeafHash: hex.EncodeToString(pre.leaf),
		StatusList: pre.list, StatusIndex: pre.index, LogIndex: logIndex, IssuedAt: s.now()}
	if err := execSQL(tx, "INSERT INTO cards (id, assessment_id, data, leaf_hash, status_list, status_index, log_index, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		rec.ID, rec.AssessmentID, rec.Data, rec.LeafHash, rec.StatusList, rec.StatusIndex, rec.LogIndex, rec.IssuedAt); err != nil {
		return err
	}
	countStatus(tx, pre.list)
	return s.audit(tx, nil, "card.issued", "card", pre.id, nil, map[string]any{"assessment_id": a.ID, "log_index": logIndex, "status_index": pre.index})
}

// stillHolds reports whether a card signed before the transaction is of
// the assessment as it is now (same version and submission, so the same
// answers) and its status entry is in the current list and still free.
func (s *Store) stillHolds(tx *gorm.DB, a *Assessment, pre *signedCard) (bool, error) {
	if !pre.sameSubmission(a) {
		return false, nil
	}
	lists, used, err := statusUse(tx)
	if err != nil || lists != pre.list || used >= card.StatusListSize/2 {
		return false, err
	}
	return statusFree(tx, pre.list, pre.index)
}

// statusUse is the current status list and how many cards it holds,
// counted once per batch of approvals and then kept up to date by
// issueCard (countStatus): counting the cards of a list reads up to half
// the list's size in index entries.
func statusUse(tx *gorm.DB) (list, used int, err error) {
	p, _ := tx.Statement.Context.Value(pendingLogKey{}).(*pendingLog)
	if p != nil && p.statusCounted {
		return p.statusList, p.statusUsed, nil
	}
	n, err := statusLists(tx)
	if err != nil {
		return 0, 0, err
	}
	var u int64
	if n > 0 {
		if err := tx.Raw("SELECT COUNT(*) FROM cards WHERE status_list = ?", n).Row().Scan(&u); err != nil {
			return 0, 0, err
		}
	}
	if p != nil {
		p.statusList, p.statusUsed, p.statusCounted = int(n), int(u), true
	}
	return int(n), int(u), nil
}

// statusLists is how many status lists there are; the last is current.
func statusLists(db *gorm.DB) (int64, error) {
	var n int64
	err := db.Raw("SELECT COUNT(*) FROM status_lists").Row().Scan(&n)
	return n, err
}

// countStatus records in the batch that a card took an entry of list.
func countStatus(tx *gorm.DB, list int) {
	if p, _ := tx.Statement.Context.Value(pendingLogKey{}).(*pendingLog); p != nil && p.statusCounted {
		if list != p.statusList {
			p.statusList, p.statusUsed = list, 0
		}
		p.statusUsed++
	}
}

// statusFree reports whether no card has entry index of list.
func statusFree(db *gorm.DB, list, index int) (bool, error) {
	rows, err := querySQL(db, "SELECT 1 FROM cards WHERE status_list = ? AND status_index = ?", list, index)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	taken := rows.Next()
	return !taken, rows.Err()
}

// presign builds and signs the card an approval of a submitted assessment
// would issue, outside any transaction, for issueCard to use; nil if
// anything stands in the way (issueCard then signs in the transaction).
func (s *Store) presign(ctx context.Context, id uint) *signedCard {
	db := s.db.WithContext(ctx)
	var a Assessment
	if err := db.First(&a, id).Error; err != nil || a.Status != StatusSubmitted || a.SubmittedAt == nil {
		return nil
	}
	ed, err := s.Edition(&a)
	if err != nil {
		return nil
	}
	answers, err := loadAnswers(db, a.ID)
	if err != nil {
		return nil
	}
	list, index, err := s.peekStatus(db)
	if err != nil || list == 0 {
		return nil
	}
	res := Score(ed, answers)
	pre, err := s.signCard(db, &a, ed, res, list, index)
	if err != nil {
		return nil
	}
	pre.answers, pre.result = answers, res
	return pre
}

// signCard builds and signs the card of an assessment with the status
// entry (list, index).
func (s *Store) signCard(db *gorm.DB, a *Assessment, ed *frameworks.Edition, res Result, list, index int) (*signedCard, error) {
	is := s.issuer
	var svc Service
	if err := db.First(&svc, a.ServiceID).Error; err != nil {
		return nil, err
	}
	var org Organisation
	if err := db.First(&org, a.OrganisationID).Error; err != nil {
		return nil, err
	}
	id := uuid.NewString()
	var name, description card.Texts
	langs := slices.Clone(ed.Languages)
	for _, l := range is.Languages {
		if !slices.Contains(langs, l) {
			langs = append(langs, l)
		}
	}
	for _, lang := range langs {
		name = append(name, card.LanguageValue{Language: lang, Value: is.text(lang, Message{Format: "Digital maturity card: %s", Args: []any{svc.Name}})})
		description = append(description, card.LanguageValue{Language: lang, Value: is.text(lang,
			Message{Format: "Maturity of %s, assessed against %s %s and approved by a reviewer.", Args: []any{svc.Name, ed.Title.In(lang), ed.Version}})})
	}
	c := card.Card{
		ID:          is.CardURL(id),
		Name:        name,
		Description: description,
		Image:       is.ImageURL(id),
		Issuer:      card.Issuer{ID: is.DID, Name: is.Name},
		// The public summary of the service's approved assessments, this
		// card's among them.
		Evidence: []card.Evidence{{ID: is.ServiceURL(svc.ID), Type: []string{"AssessmentSummary"}}},
		CredentialSubject: card.Subject{
			ID: is.ServiceURL(svc.ID), Name: svc.Name, Category: svc.Category,
			Provider: card.Provider{ID: is.OrganisationURL(org.ID), Name: org.Name, Country: org.Country},
			Assessment: card.Assessment{
				ID: is.AssessmentURL(a.ID), Period: a.Period,
				Submitted: a.SubmittedAt.UTC().Format(time.RFC3339), Approved: s.now().UTC().Format(time.RFC3339),
				Framework: card.Framework{Identifier: ed.ID, Version: ed.Version, Title: ed.Title.In("en")},
				Overall:   card.Score{Score: Round1(res.Overall.Score), Level: res.Overall.Level, Label: ed.LevelLabel(res.Overall.Level).In("en")},
			},
		},
		RelatedResource: []card.RelatedResource{{
			ID:        is.EditionURL(ed),
			MediaType: "application/json", DigestSRI: ed.DigestSRI(),
		}},
		CredentialStatus: card.Status{
			ID: fmt.Sprintf("%s#%d", is.StatusListURL(list), index), Type: "BitstringStatusListEntry", StatusPurpose: "revocation",
			StatusListIndex: strconv.Itoa(index), StatusListCredential: is.StatusListURL(list),
		},
	}
	for i, d := range res.Dimensions {
		if d.Value.Scored {
			c.CredentialSubject.Assessment.Dimensions = append(c.CredentialSubject.Assessment.Dimensions, card.Dimension{
				Dimension: d.ID, Name: ed.Dimensions[i].Title.In("en"), Score: Round1(d.Value.Score),
				Level: d.Value.Level, Label: ed.LevelLabel(d.Value.Level).In("en"),
			})
		}
	}
	signed, err := card.Issue(c, is.BaseURL, is.Keys.Active(), is.DID, s.now())
	if err != nil {
		return nil, err
	}
	// card.Issue returns the card in its canonical (JCS) form already, so
	// its LeafData is the hash of these very bytes.
	leaf := sha256.Sum256(signed)
	return &signedCard{id: id, list: list, index: index, data: signed, leaf: leaf[:], version: a.Version, submittedAt: *a.SubmittedAt}, nil
}

// allocateStatus picks a random free index in the current status list,
// creating the list when it does not exist yet. Random indexes keep a
// card's position from telling when it was issued.
func (s *Store) allocateStatus(tx *gorm.DB) (list, index int, err error) {
	list, used, err := statusUse(tx)
	if err != nil {
		return 0, 0, err
	}
	// A list is full at half its size: random probing stays quick.
	if list == 0 || used >= card.StatusListSize/2 {
		list++
		if err := s.signStatusList(tx, list, card.NewBitstring(), true); err != nil {
			return 0, 0, err
		}
	}
	for {
		r, err := rand.Int(rand.Reader, big.NewInt(card.StatusListSize))
		if err != nil {
			return 0, 0, err
		}
		index = int(r.Int64())
		free, err := statusFree(tx, list, index)
		if err != nil {
			return 0, 0, err
		}
		if free {
			return list, index, nil
		}
	}
}

// peekStatus picks a random free index in the current status list without
// writing anything: (0, 0) when there is no list yet or it is full, as
// only allocateStatus, in the writer's transaction, starts a new one.
func (s *Store) peekStatus(db *gorm.DB) (list, index int, err error) {
	// Whether the list is full is left to stillHolds, counted once per
	// batch of approvals.
	n, err := statusLists(db)
	if err != nil || n == 0 {
		return 0, 0, err
	}
	for {
		r, err := rand.Int(rand.Reader, big.NewInt(card.StatusListSize))
		if err != nil {
			return 0, 0, err
		}
		free, err := statusFree(db, int(n), int(r.Int64()))
		if err != nil {
			return 0, 0, err
		}
		if free {
			return int(n), int(r.Int64()), nil
		}
	}
}

// signStatusList signs a status list's bits and stores them.
func (s *Store) signStatusList(tx *gorm.DB, id int, bits card.Bitstring, create bool) error {
	is := s.issuer
	cred, err := card.IssueStatusList(is.StatusListURL(id), bits, card.Issuer{ID: is.DID, Name: is.Name}, is.Keys.Active(), s.now())
	if err != nil {
		return err
	}
	row := statusList{ID: id, Bits: bits, Credential: cred, UpdatedAt: s.now()}
	if create {
		return tx.Create(&row).Error
	}
	return tx.Model(&row).Updates(map[string]any{"bits": row.Bits, "credential": row.Credential, "updated_at": row.UpdatedAt}).Error
}

// StatusList returns a signed status list credential as served.
func (s *Store) StatusList(ctx context.Context, id int) (_ []byte, err error) {
	defer wrap(&err, "read status list %d", id)
	return s.cachedList(ctx, id, func() ([]byte, error) {
		var row statusList
		err := s.db.WithContext(ctx).First(&row, id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound
		}
		return row.Credential, err
	})
}

// Card returns an issued card; cards are public.
func (s *Store) Card(ctx context.Context, id string) (_ *CardRecord, err error) {
	defer wrap(&err, "read card %s", id)
	var rec CardRecord
	err = s.db.WithContext(ctx).Where("id = ?", id).First(&rec).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &rec, err
}

// CardOf returns the card of an assessment the actor may see.
func (s *Store) CardOf(ctx context.Context, by Actor, assessmentID uint) (_ *CardRecord, err error) {
	defer wrap(&err, "read the card of assessment %d", assessmentID)
	if _, err := s.Assessment(ctx, by, assessmentID); err != nil {
		return nil, err
	}
	var rec CardRecord
	err = s.db.WithContext(ctx).Where("assessment_id = ?", assessmentID).First(&rec).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &rec, err
}

// CardByLeaf finds an issued card by the hash of its canonical form.
func (s *Store) CardByLeaf(ctx context.Context, leaf []byte) (_ *CardRecord, err error) {
	defer wrap(&err, "find a card by its log leaf")
	var rec CardRecord
	err = s.db.WithContext(ctx).Where("leaf_hash = ?", hex.EncodeToString(leaf)).First(&rec).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &rec, err
}

// CardProof returns a card's C2SP tlog-proof against the latest checkpoint.
func (s *Store) CardProof(ctx context.Context, id string) (_ string, err error) {
	defer wrap(&err, "inclusion proof of card %s", id)
	rec, err := s.Card(ctx, id)
	if err != nil {
		return "", err
	}
	return s.inclusionProof(s.db.WithContext(ctx), rec.LogIndex)
}

// LeafProof returns the C2SP tlog-proof, against the latest checkpoint, of
// the card whose log leaf is leaf (see card.LeafData): what a verifier
// needs, in one read of the card.
func (s *Store) LeafProof(ctx context.Context, leaf []byte) (_ string, err error) {
	defer wrap(&err, "inclusion proof of a card by its log leaf")
	hexLeaf := hex.EncodeToString(leaf)
	return s.cachedProof(ctx, hexLeaf, func() (string, error) {
		db := s.db.WithContext(ctx)
		var rec CardRecord
		err := db.Select("log_index").Where("leaf_hash = ?", hexLeaf).First(&rec).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return "", ErrNotFound
		}
		if err != nil {
			return "", err
		}
		return s.inclusionProof(db, rec.LogIndex)
	})
}

// Revoke revokes a card with a reason: its status bit is set and the list
// re-signed. The card itself stays, and stays in the log.
func (s *Store) Revoke(ctx context.Context, by Actor, id, reason string) (_ *CardRecord, err error) {
	defer wrap(&err, "revoke card %s", id)
	if !by.CanRevoke() {
		return nil, fmt.Errorf("%w: only reviewers and administrators revoke cards", ErrForbidden)
	}
	reason = strings.TrimSpace(reason)
	if err := CheckRevokeReason(reason); err != nil {
		return nil, err
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		var rec CardRecord
		if err := forUpdate(tx).Where("id = ?", id).First(&rec).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return err
		}
		if rec.RevokedAt != nil {
			return fmt.Errorf("%w: the card was revoked on %s", ErrReadOnly, rec.RevokedAt.Format(time.DateOnly))
		}
		var list statusList
		if err := forUpdate(tx).First(&list, rec.StatusList).Error; err != nil {
			return err
		}
		bits := card.Bitstring(list.Bits)
		bits.Set(rec.StatusIndex)
		if err := s.signStatusList(tx, list.ID, bits, false); err != nil {
			return err
		}
		now, who := s.now(), by.UserID
		if err := tx.Model(&rec).Updates(map[string]any{"revoked_at": now, "revoked_reason": reason, "revoked_by_id": who}).Error; err != nil {
			return err
		}
		if err := s.audit(tx, &by, "card.revoked", "card", id, map[string]any{"revoked": false}, map[string]any{"revoked": true, "reason": reason}); err != nil {
			return err
		}
		return s.notifyRevoked(tx, &rec, reason)
	})
	if err != nil {
		return nil, err
	}
	return s.Card(ctx, id)
}

// issuerKey is a published issuer public key. Every instance publishes the
// keys it has, and serves the DID document from this table, so that a key
// added on one instance is listed by all of them at once.
type issuerKey struct {
	ID                 string `gorm:"primaryKey;size:200"` // did#key-YYYY-N
	PublicKeyMultibase string `gorm:"not null"`
	CreatedAt          time.Time
}

// publishKeys records the public halves of the issuer's keys.
func (s *Store) publishKeys(ctx context.Context) error {
	is := s.issuer
	for _, k := range is.Keys.Issuer {
		rec := issuerKey{ID: is.DID + "#" + k.ID, PublicKeyMultibase: card.PublicKeyMultibase(k.Public())}
		if err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rec).Error; err != nil {
			return fmt.Errorf("record %s: %w", rec.ID, err)
		}
	}
	return nil
}

// DIDDocument is the issuer's DID document with every key any instance has
// published, oldest first.
func (s *Store) DIDDocument(ctx context.Context) (_ *card.DIDDocument, err error) {
	defer wrap(&err, "build the DID document")
	return s.cachedDID(ctx, func() (*card.DIDDocument, error) {
		var keys []issuerKey
		if err := s.db.WithContext(ctx).Where("id LIKE ?", s.issuer.DID+"#%").Order("created_at, id").Find(&keys).Error; err != nil {
			return nil, err
		}
		doc := card.NewDIDDocument(s.issuer.DID, nil)
		for _, k := range keys {
			doc.VerificationMethod = append(doc.VerificationMethod, card.VerificationMethod{ID: k.ID, Type: "Multikey", Controller: s.issuer.DID, PublicKeyMultibase: k.PublicKeyMultibase})
			doc.AssertionMethod = append(doc.AssertionMethod, k.ID)
		}
		return &doc, nil
	})
}

// CheckRevokeReason reports what is wrong with a revocation's reason, as
// Revoke would, so that a confirmation step can refuse it first.
func CheckRevokeReason(reason string) error {
	reason = strings.TrimSpace(reason)
	v := invalid{}
	if reason == "" {
		v.add("reason", "say why the card is revoked")
	}
	checkText(v, "reason", reason)
	return v.err()
}
