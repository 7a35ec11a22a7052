package assessments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// What people are told about. The same names are the kinds of
// notifications and of mail.
const (
	NoticeSubmitted      = "assessment.submitted" // to reviewers
	NoticeReturned       = "assessment.returned"  // to the organisation's respondents
	NoticeApproved       = "assessment.approved"  // to the organisation's respondents
	NoticeCardRevoked    = "card.revoked"         // to the organisation's respondents
	NoticeAccountCreated = "account.created"      // to the new user
	NoticePasswordReset  = "password.reset"       // to the user whose password was reset
	// NoticeSecondFactorReset: to the user whose second factor an admin removed.
	NoticeSecondFactorReset = "second_factor.reset"
	// To administrators: a trusted peer published keys other than those
	// confirmed, and they were refused.
	NoticePeerKeysRefused = "peer.keys_refused"
	// To administrators: a witness caught a log presenting inconsistent
	// checkpoints (a split view or rewritten history), on either side.
	NoticeSplitView = "witness.split_view"
	// MailPasswordResetLink is mail only: the link a user asked for.
	MailPasswordResetLink = "password.reset_link"
)

// NoticeKinds lists the kinds shown in the app.
var NoticeKinds = []string{NoticeSubmitted, NoticeReturned, NoticeApproved, NoticeCardRevoked, NoticeAccountCreated, NoticePasswordReset, NoticeSecondFactorReset,
	NoticePeerKeysRefused, NoticeSplitView,
	NoticePracticeSubmitted, NoticePracticePublished, NoticePracticeReturned}

// MailKinds lists every kind of mail the outbox holds.
var MailKinds = append(append([]string{}, NoticeKinds...), MailPasswordResetLink)

// PasswordResetLifetime is how long a password-reset link works.
const PasswordResetLifetime = 30 * time.Minute

// maxLiveResets is how many unused, unexpired reset links an account may
// have: more requests send nothing, so nobody can flood a mailbox.
const maxLiveResets = 3

// Notification is something that happened which a user is told about in
// the app.
type Notification struct {
	ID           uint       `gorm:"primaryKey;index:ix_notification_user,priority:2" json:"id"`
	UserID       uint       `gorm:"not null;index:ix_notification_user,priority:1" json:"-"`
	Kind         string     `gorm:"not null" json:"kind"`
	AssessmentID *uint      `json:"assessment_id"`
	CardID       string     `gorm:"not null;default:''" json:"card_id,omitempty"`
	Comment      string     `gorm:"not null;default:''" json:"comment,omitempty"` // the reviewer's or the revocation's
	CreatedAt    time.Time  `gorm:"not null" json:"created_at"`
	ReadAt       *time.Time `json:"-"`
	Read         bool       `gorm:"-" json:"read"`
}

// OutboxMail is a message waiting to be sent, written in the transaction
// of the event it tells about, so that no event is mailed that did not
// happen and none that happened is forgotten. A worker claims it (Claim,
// NextAttemptAt pushed out by a lease), sends it and marks it sent.
type OutboxMail struct {
	ID            uint       `gorm:"primaryKey"`
	UserID        uint       `gorm:"not null"`
	To            string     `gorm:"column:to;not null"`
	Language      string     `gorm:"not null"`
	Kind          string     `gorm:"not null"`
	Data          []byte     // MailData as JSON; cleared once sent (it may hold a reset link)
	CreatedAt     time.Time  `gorm:"not null"`
	NextAttemptAt time.Time  `gorm:"not null;index:ix_outbox_due,priority:2"`
	Attempts      int        `gorm:"not null;default:0"`
	LastError     string     `gorm:"not null;default:''"`
	Claim         string     `gorm:"not null;default:''"`
	SentAt        *time.Time `gorm:"index:ix_outbox_due,priority:1"`
}

func (OutboxMail) TableName() string { return "mail_outbox" }

// MailData is what a message says besides its kind; links are paths, to
// which the sender adds the instance's base URL.
type MailData struct {
	Name       string `json:"name,omitempty"` // the recipient's
	Service    string `json:"service,omitempty"`
	Period     int    `json:"period,omitempty"`
	Comment    string `json:"comment,omitempty"`
	Link       string `json:"link,omitempty"`
	ResetToken string `json:"reset_token,omitempty"`
}

// Decode reads a message's data.
func (m *OutboxMail) Decode() (MailData, error) {
	var d MailData
	err := json.Unmarshal(m.Data, &d)
	return d, err
}

// passwordReset is a single-use password-reset link; only its hash is
// kept.
type passwordReset struct {
	ID        string     `gorm:"primaryKey;size:64"` // hex SHA-256 of the token
	UserID    uint       `gorm:"not null;index"`
	CreatedAt time.Time  `gorm:"not null"`
	ExpiresAt time.Time  `gorm:"not null"`
	UsedAt    *time.Time //
}

// notify tells users about an event inside the event's transaction: a
// notification each, and, when mail is set up and they want it, a message
// in the outbox in their language. Disabled accounts are told nothing.
func (s *Store) notify(tx *gorm.DB, users []User, n Notification, d MailData) error {
	for _, u := range users {
		if u.DisabledAt != nil {
			continue
		}
		if err := execSQL(tx, "INSERT INTO notifications (user_id, kind, assessment_id, card_id, comment, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			u.ID, n.Kind, n.AssessmentID, n.CardID, n.Comment, s.now()); err != nil {
			return err
		}
		if !u.MailOff {
			if err := s.enqueueMail(tx, &u, n.Kind, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// notifyUser tells one user about something that happened to their
// account (NoticeAccountCreated, NoticePasswordReset).
func (s *Store) notifyUser(tx *gorm.DB, userID uint, kind string) error {
	var u User
	if err := tx.First(&u, userID).Error; err != nil {
		return err
	}
	return s.notify(tx, []User{u}, Notification{Kind: kind}, MailData{Link: "/login"})
}

// enqueueMail writes a message to the outbox when the instance sends mail.
func (s *Store) enqueueMail(tx *gorm.DB, u *User, kind string, d MailData) error {
	if !s.mail {
		return nil
	}
	d.Name = u.Name
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	lang := u.Language
	if lang == "" {
		lang = "en"
	}
	now := s.now()
	return tx.Create(&OutboxMail{UserID: u.ID, To: u.Email, Language: lang, Kind: kind, Data: data, CreatedAt: now, NextAttemptAt: now}).Error
}

// reviewers are the accounts told about submissions.
func reviewers(tx *gorm.DB) ([]User, error) {
	var us []User
	err := tx.Where("role = ? AND disabled_at IS NULL", RoleReviewer).Order("id").Find(&us).Error
	return us, err
}

// respondentsOf are the accounts of an organisation, told about decisions
// on its assessments and cards.
func respondentsOf(tx *gorm.DB, orgID uint) ([]User, error) {
	var us []User
	err := tx.Where("role = ? AND organisation_id = ? AND disabled_at IS NULL", RoleRespondent, orgID).Order("id").Find(&us).Error
	return us, err
}

// notifyAssessment tells who is concerned that an assessment changed
// status: reviewers of a submission, the organisation of a decision.
// svc is the assessment's service if the caller has read it (nil: read).
func (s *Store) notifyAssessment(tx *gorm.DB, a *Assessment, svc *Service, kind, comment string) error {
	var (
		us  []User
		err error
	)
	if kind == NoticeSubmitted {
		us, err = reviewers(tx)
	} else {
		us, err = respondentsOf(tx, a.OrganisationID)
	}
	if err != nil {
		return err
	}
	if svc == nil {
		svc = &Service{}
		if err := tx.First(svc, a.ServiceID).Error; err != nil {
			return err
		}
	}
	id := a.ID
	link := fmt.Sprintf("/assessments/%d", a.ID)
	if kind == NoticeSubmitted {
		link += "/review"
	}
	return s.notify(tx, us, Notification{Kind: kind, AssessmentID: &id, Comment: comment},
		MailData{Service: svc.Name, Period: a.Period, Comment: comment, Link: link})
}

// notifyRevoked tells an organisation that the card of one of its
// assessments was revoked.
func (s *Store) notifyRevoked(tx *gorm.DB, rec *CardRecord, reason string) error {
	var a Assessment
	if err := tx.First(&a, rec.AssessmentID).Error; err != nil {
		return err
	}
	us, err := respondentsOf(tx, a.OrganisationID)
	if err != nil {
		return err
	}
	var svc Service
	if err := tx.First(&svc, a.ServiceID).Error; err != nil {
		return err
	}
	id := a.ID
	return s.notify(tx, us, Notification{Kind: NoticeCardRevoked, AssessmentID: &id, CardID: rec.ID, Comment: reason},
		MailData{Service: svc.Name, Period: a.Period, Comment: reason, Link: "/cards/" + rec.ID})
}

// skipLocked makes a claim pass over rows another transaction holds.
var skipLocked = clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}

// Notifications returns a user's notifications, newest first, at most
// limit of them.
func (s *Store) Notifications(ctx context.Context, userID uint, limit int) (_ []Notification, err error) {
	defer wrap(&err, "list notifications of user %d", userID)
	var ns []Notification
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Order("id DESC").Limit(limit).Find(&ns).Error; err != nil {
		return nil, err
	}
	for i := range ns {
		ns[i].Read = ns[i].ReadAt != nil
	}
	return ns, nil
}

// UnreadNotifications counts a user's unread notifications, for the
// header.
func (s *Store) UnreadNotifications(ctx context.Context, userID uint) (n int64, err error) {
	defer wrap(&err, "count notifications of user %d", userID)
	err = s.db.WithContext(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", userID).Count(&n).Error
	return n, err
}

// MaxMarkRead is how many notifications one request marks as read.
const MaxMarkRead = 500

// MarkRead marks some of a user's notifications as read; ids of others'
// notifications are ignored, as if they did not exist.
func (s *Store) MarkRead(ctx context.Context, userID uint, ids []uint) (err error) {
	defer wrap(&err, "mark notifications of user %d as read", userID)
	if len(ids) == 0 {
		return fieldError("ids", "name at least one notification")
	}
	if len(ids) > MaxMarkRead {
		return fieldError("ids", "name at most %d notifications", MaxMarkRead)
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Notification{}).Where("user_id = ? AND id IN ? AND read_at IS NULL", userID, ids).Update("read_at", s.now()).Error
	})
}

// SetMailOff turns a user's mail off or back on.
func (s *Store) SetMailOff(ctx context.Context, userID uint, off bool) (err error) {
	defer wrap(&err, "set the mail preference of user %d", userID)
	by := Actor{UserID: userID}
	return s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&User{}).Where("id = ?", userID).Update("mail_off", off).Error; err != nil {
			return err
		}
		return s.audit(tx, &by, "user.mail_preference", "user", userID, nil, map[string]any{"mail_off": off})
	})
}

// SetLanguage records the interface language a user last used, in which
// their mail is then written. Unchanged, it writes nothing.
func (s *Store) SetLanguage(ctx context.Context, userID uint, lang string) (err error) {
	defer wrap(&err, "set the language of user %d", userID)
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&User{}).Where("id = ? AND language <> ?", userID, lang).Update("language", lang).Error
	})
}

// RequestPasswordReset mails a single-use link to set a new password to
// the account with this email, when there is one, it is enabled and mail
// is set up. It answers the same whether or not the account exists, so
// that nobody learns which addresses have accounts; only a malformed
// address is refused.
func (s *Store) RequestPasswordReset(ctx context.Context, email string) (err error) {
	defer wrap(&err, "request a password reset")
	email = strings.ToLower(strings.TrimSpace(email))
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		return fieldError("email", "must be an email address such as name@agency.gov")
	}
	if !s.mail {
		return nil
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		var u User
		err := tx.Where("email = ? AND disabled_at IS NULL", email).First(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		var live int64
		if err := tx.Model(&passwordReset{}).Where("user_id = ? AND used_at IS NULL AND expires_at > ?", u.ID, now).Count(&live).Error; err != nil {
			return err
		}
		if live >= maxLiveResets {
			return nil
		}
		token, id := newSecret("")
		if err := tx.Create(&passwordReset{ID: id, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(PasswordResetLifetime)}).Error; err != nil {
			return err
		}
		// Mailed even to a user who turned mail off: they asked for it.
		if err := s.enqueueMail(tx, &u, MailPasswordResetLink, MailData{Link: "/password-reset/new", ResetToken: token}); err != nil {
			return err
		}
		by := u.Actor()
		return s.audit(tx, &by, "user.password_reset_requested", "user", u.ID, nil, nil)
	})
}

// ResetPasswordWithLink sets a new password with a reset link's token, once and
// within PasswordResetLifetime, and ends every session and API token of
// the user.
func (s *Store) ResetPasswordWithLink(ctx context.Context, token, next string) (err error) {
	defer wrap(&err, "reset a password")
	var r passwordReset
	err = s.db.WithContext(ctx).Where("id = ?", secretID(token)).First(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (r.UsedAt != nil || s.now().After(r.ExpiresAt))) {
		return fieldError("token", "this link has expired or has been used; ask for a new one")
	}
	if err != nil {
		return err
	}
	u, err := s.User(ctx, r.UserID)
	if err != nil {
		return err
	}
	if m := CheckPassword(next, u.Email); m.Format != "" {
		return &ValidationError{Fields: map[string]Message{"password": m}}
	}
	var hash string
	if aerr := s.argon(ctx, func() { hash, err = hashPassword(next) }); aerr != nil {
		return aerr
	}
	if err != nil {
		return err
	}
	by := u.Actor()
	return s.write(ctx, func(tx *gorm.DB) error {
		// Used once: of two requests with the same link, one updates the row.
		used := tx.Model(&passwordReset{}).Where("id = ? AND used_at IS NULL", r.ID).Update("used_at", s.now())
		if used.Error != nil {
			return used.Error
		}
		if used.RowsAffected == 0 {
			return fieldError("token", "this link has expired or has been used; ask for a new one")
		}
		if err := tx.Model(u).Updates(map[string]any{"password_hash": hash, "must_change_password": false}).Error; err != nil {
			return err
		}
		if err := s.endAccess(tx, &by, u.ID, "", "user.password_reset"); err != nil {
			return err
		}
		return s.notifyUser(tx, u.ID, NoticePasswordReset)
	})
}

// ClaimMail takes the next message due for sending, or returns nil when
// none is. The claim holds for lease: until then no other worker, in this
// process or another instance, takes it; a worker that stops mid-send
// leaves it to be taken again when the lease ends.
func (s *Store) ClaimMail(ctx context.Context, claim string, lease time.Duration) (_ *OutboxMail, err error) {
	defer wrap(&err, "claim mail")
	// A read first, so that an idle worker's polls take no write lock.
	var due int64
	if err := s.db.WithContext(ctx).Model(&OutboxMail{}).Where("sent_at IS NULL AND next_attempt_at <= ?", s.now()).Limit(1).Count(&due).Error; err != nil || due == 0 {
		return nil, err
	}
	var m *OutboxMail
	err = s.write(ctx, func(tx *gorm.DB) error {
		now := s.now()
		q := tx.Where("sent_at IS NULL AND next_attempt_at <= ?", now).Order("next_attempt_at, id").Limit(1)
		if tx.Dialector.Name() == "postgres" {
			// Another instance's claim in flight is skipped, not waited for.
			q = q.Clauses(skipLocked)
		}
		var found []OutboxMail
		if err := q.Find(&found).Error; err != nil || len(found) == 0 {
			return err
		}
		m = &found[0]
		m.Claim, m.NextAttemptAt, m.Attempts = claim, now.Add(lease), m.Attempts+1
		return tx.Model(m).Select("claim", "next_attempt_at", "attempts").Updates(m).Error
	})
	return m, err
}

// MailSent records that a claimed message went out and forgets its data.
// It reports false when the claim had been lost to another worker.
func (s *Store) MailSent(ctx context.Context, id uint, claim string) (ok bool, err error) {
	defer wrap(&err, "record mail %d as sent", id)
	err = s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&OutboxMail{}).Where("id = ? AND claim = ? AND sent_at IS NULL", id, claim).
			Updates(map[string]any{"sent_at": s.now(), "data": nil, "last_error": ""})
		ok = res.RowsAffected == 1
		return res.Error
	})
	return ok, err
}

// MailFailed records a failed attempt and when to try again.
func (s *Store) MailFailed(ctx context.Context, id uint, claim, reason string, retryIn time.Duration) (err error) {
	defer wrap(&err, "record a failed attempt of mail %d", id)
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&OutboxMail{}).Where("id = ? AND claim = ? AND sent_at IS NULL", id, claim).
			Updates(map[string]any{"next_attempt_at": s.now().Add(retryIn), "last_error": reason, "claim": ""}).Error
	})
}

// OutboxDepth counts the messages not sent yet, for metrics.
func (s *Store) OutboxDepth(ctx context.Context) (n int64, err error) {
	defer wrap(&err, "count the mail outbox")
	err = s.db.WithContext(ctx).Model(&OutboxMail{}).Where("sent_at IS NULL").Count(&n).Error
	return n, err
}

// Outbox lists every message of the outbox in order, for tests and the
// command line.
func (s *Store) Outbox(ctx context.Context) (_ []OutboxMail, err error) {
	defer wrap(&err, "list the mail outbox")
	var ms []OutboxMail
	err = s.db.WithContext(ctx).Order("id").Find(&ms).Error
	return ms, err
}
