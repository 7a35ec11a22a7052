package mail

import (
	"bytes"
	"fmt"
	"net/url"
	"text/template"

	"github.com/unescap/dmf/assessments"
)

// texts are the messages in each language the interface has, by kind: a
// subject and a plain-text body, as text/template over message. A test
// checks that every kind has every language.
var texts = map[string]map[string][2]string{
	"en": {
		assessments.NoticeSubmitted: {"Assessment submitted for review: {{.Service}} ({{.Period}})",
			"Hello {{.Name}},\n\nThe assessment of {{.Service}} for {{.Period}} has been submitted and waits for review.\n\nReview it here:\n{{.Link}}\n"},
		assessments.NoticeReturned: {"Assessment returned: {{.Service}} ({{.Period}})",
			"Hello {{.Name}},\n\nThe reviewer returned the assessment of {{.Service}} for {{.Period}}.{{if .Comment}}\n\nThe reviewer's comment:\n{{.Comment}}{{end}}\n\nSee what to change and submit it again:\n{{.Link}}\n"},
		assessments.NoticeApproved: {"Assessment approved: {{.Service}} ({{.Period}})",
			"Hello {{.Name}},\n\nThe assessment of {{.Service}} for {{.Period}} has been approved.{{if .Comment}}\n\nThe reviewer's comment:\n{{.Comment}}{{end}}\n\nSee the result and its maturity card:\n{{.Link}}\n"},
		assessments.NoticeCardRevoked: {"Maturity card revoked: {{.Service}} ({{.Period}})",
			"Hello {{.Name}},\n\nThe maturity card of {{.Service}} for {{.Period}} has been revoked.\n\nReason:\n{{.Comment}}\n\nThe card:\n{{.Link}}\n"},
		assessments.NoticeAccountCreated: {"Your DMF account",
			"Hello {{.Name}},\n\nAn administrator created an account for you on the Digital Maturity Framework. They will give you a first password, which you change when you first sign in:\n{{.Link}}\n"},
		assessments.NoticePasswordReset: {"Your DMF password was reset",
			"Hello {{.Name}},\n\nThe password of your account was reset, and every session and API token of the account has ended. If you did not expect this, tell your administrator.\n\nSign in:\n{{.Link}}\n"},
		assessments.MailPasswordResetLink: {"Set a new DMF password",
			"Hello {{.Name}},\n\nSomeone, probably you, asked to set a new password for your account. Follow this link within 30 minutes to choose one; it works once:\n{{.Link}}\n\nIf you did not ask, ignore this message: your password stays as it is.\n"},
		assessments.NoticePracticeSubmitted: {"Practice to review: {{.Comment}}",
			"Hello {{.Name}},\n\nA practice from the assessment of {{.Service}} for {{.Period}} waits for review:\n{{.Comment}}\n\nReview it here:\n{{.Link}}\n"},
		assessments.NoticePracticePublished: {"Practice published: {{.Service}} ({{.Period}})",
			"Hello {{.Name}},\n\nThe reviewer published the practice you wrote from the assessment of {{.Service}} for {{.Period}}.{{if .Comment}}\n\nThe reviewer's comment:\n{{.Comment}}{{end}}\n\nSee it here:\n{{.Link}}\n"},
		assessments.NoticePracticeReturned: {"Practice returned: {{.Service}} ({{.Period}})",
			"Hello {{.Name}},\n\nThe reviewer returned the practice you wrote from the assessment of {{.Service}} for {{.Period}}.\n\nThe reviewer's comment:\n{{.Comment}}\n\nChange it and send it again:\n{{.Link}}\n"},
	},
	"ru": {
		assessments.NoticeSubmitted: {"Оценка отправлена на проверку: {{.Service}} ({{.Period}})",
			"Здравствуйте, {{.Name}}!\n\nОценка услуги {{.Service}} за {{.Period}} отправлена и ждёт проверки.\n\nПроверить её:\n{{.Link}}\n"},
		assessments.NoticeReturned: {"Оценка возвращена: {{.Service}} ({{.Period}})",
			"Здравствуйте, {{.Name}}!\n\nЭксперт вернул оценку услуги {{.Service}} за {{.Period}}.{{if .Comment}}\n\nКомментарий эксперта:\n{{.Comment}}{{end}}\n\nЧто исправить и как отправить снова:\n{{.Link}}\n"},
		assessments.NoticeApproved: {"Оценка утверждена: {{.Service}} ({{.Period}})",
			"Здравствуйте, {{.Name}}!\n\nОценка услуги {{.Service}} за {{.Period}} утверждена.{{if .Comment}}\n\nКомментарий эксперта:\n{{.Comment}}{{end}}\n\nРезультат и карточка зрелости:\n{{.Link}}\n"},
		assessments.NoticeCardRevoked: {"Карточка зрелости отозвана: {{.Service}} ({{.Period}})",
			"Здравствуйте, {{.Name}}!\n\nКарточка зрелости услуги {{.Service}} за {{.Period}} отозвана.\n\nПричина:\n{{.Comment}}\n\nКарточка:\n{{.Link}}\n"},
		assessments.NoticeAccountCreated: {"Ваша учётная запись DMF",
			"Здравствуйте, {{.Name}}!\n\nАдминистратор создал для вас учётную запись в системе Digital Maturity Framework. Он сообщит вам первый пароль, который нужно сменить при первом входе:\n{{.Link}}\n"},
		assessments.NoticePasswordReset: {"Пароль DMF сброшен",
			"Здравствуйте, {{.Name}}!\n\nПароль вашей учётной записи сброшен, все сеансы и API-токены завершены. Если вы этого не ожидали, сообщите администратору.\n\nВойти:\n{{.Link}}\n"},
		assessments.MailPasswordResetLink: {"Новый пароль DMF",
			"Здравствуйте, {{.Name}}!\n\nКто-то, вероятно вы, попросил задать новый пароль для вашей учётной записи. Перейдите по ссылке в течение 30 минут, чтобы выбрать его; ссылка действует один раз:\n{{.Link}}\n\nЕсли вы этого не просили, не обращайте внимания на письмо: пароль останется прежним.\n"},
		assessments.NoticePracticeSubmitted: {"Практика на проверку: {{.Comment}}",
			"Здравствуйте, {{.Name}}!\n\nПрактика из оценки услуги {{.Service}} за {{.Period}} ждёт проверки:\n{{.Comment}}\n\nПроверить её:\n{{.Link}}\n"},
		assessments.NoticePracticePublished: {"Практика опубликована: {{.Service}} ({{.Period}})",
			"Здравствуйте, {{.Name}}!\n\nЭксперт опубликовал практику, которую вы описали по оценке услуги {{.Service}} за {{.Period}}.{{if .Comment}}\n\nКомментарий эксперта:\n{{.Comment}}{{end}}\n\nПосмотреть её:\n{{.Link}}\n"},
		assessments.NoticePracticeReturned: {"Практика возвращена: {{.Service}} ({{.Period}})",
			"Здравствуйте, {{.Name}}!\n\nЭксперт вернул практику, которую вы описали по оценке услуги {{.Service}} за {{.Period}}.\n\nКомментарий эксперта:\n{{.Comment}}\n\nИсправьте её и отправьте снова:\n{{.Link}}\n"},
	},
}

// Languages are the languages mail is written in; others get English.
func Languages() []string { return []string{"en", "ru"} }

// Render writes the subject and body of a message in a language, with
// absolute links from base.
func Render(lang, kind string, d assessments.MailData, base string) (subject, body string, err error) {
	byKind, ok := texts[lang]
	if !ok {
		byKind = texts["en"]
	}
	t, ok := byKind[kind]
	if !ok {
		return "", "", fmt.Errorf("no text for mail of kind %q", kind)
	}
	link := Link(base, d.Link)
	if d.ResetToken != "" {
		link += "?token=" + url.QueryEscape(d.ResetToken)
	}
	v := struct {
		assessments.MailData
		Link string
	}{d, link}
	out := [2]string{}
	for i, src := range t {
		tm, err := template.New(kind).Option("missingkey=error").Parse(src)
		if err != nil {
			return "", "", err
		}
		var b bytes.Buffer
		if err := tm.Execute(&b, v); err != nil {
			return "", "", err
		}
		out[i] = b.String()
	}
	return out[0], out[1], nil
}
