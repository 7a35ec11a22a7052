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
		assessments.NoticeSecondFactorReset: {"The second factor of your DMF account was removed",
			"Hello {{.Name}},\n\nAn administrator removed the second factor (authenticator app, passkeys and recovery codes) of your account, so you now sign in with your password alone. Set up a second factor again on your account page. If you did not ask for this, tell your administrator at once.\n\nSign in:\n{{.Link}}\n"},
		assessments.NoticePeerKeysRefused: {"A DMF peer's keys were refused",
			"Hello {{.Name}},\n\nA peer instance published keys other than those an administrator confirmed. They were refused; the confirmed keys stay in use.\n\n{{.Comment}}\n\nCheck with the peer's administrators:\n{{.Link}}\n"},
		assessments.NoticeSplitView: {"A transparency log showed inconsistent checkpoints",
			"Hello {{.Name}},\n\nA witness found a transparency log presenting a checkpoint inconsistent with one already cosigned (a split view or rewritten history). The evidence is kept.\n\n{{.Comment}}\n\nSee the peers:\n{{.Link}}\n"},
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
		assessments.NoticeSecondFactorReset: {"Второй фактор вашей учётной записи DMF удалён",
			"Здравствуйте, {{.Name}}!\n\nАдминистратор удалил второй фактор вашей учётной записи (приложение-аутентификатор, ключи доступа и коды восстановления), и теперь вы входите только по паролю. Настройте второй фактор снова на странице учётной записи. Если вы об этом не просили, немедленно сообщите администратору.\n\nВойти:\n{{.Link}}\n"},
		assessments.NoticePeerKeysRefused: {"Ключи партнёра DMF отклонены",
			"Здравствуйте, {{.Name}}!\n\nЭкземпляр-партнёр опубликовал ключи, отличные от подтверждённых администратором. Они отклонены; подтверждённые ключи остаются в силе.\n\n{{.Comment}}\n\nСвяжитесь с администраторами партнёра:\n{{.Link}}\n"},
		assessments.NoticeSplitView: {"Журнал прозрачности показал несовместимые контрольные точки",
			"Здравствуйте, {{.Name}}!\n\nСвидетель обнаружил, что журнал прозрачности предъявил контрольную точку, несовместимую с уже заверенной (разные версии или переписанная история). Доказательства сохранены.\n\n{{.Comment}}\n\nПартнёры:\n{{.Link}}\n"},
		assessments.MailPasswordResetLink: {"Новый пароль DMF",
			"Здравствуйте, {{.Name}}!\n\nКто-то, вероятно вы, попросил задать новый пароль для вашей учётной записи. Перейдите по ссылке в течение 30 минут, чтобы выбрать его; ссылка действует один раз:\n{{.Link}}\n\nЕсли вы этого не просили, не обращайте внимания на письмо: пароль останется прежним.\n"},
		assessments.NoticePracticeSubmitted: {"Практика на проверку: {{.Comment}}",
			"Здравствуйте, {{.Name}}!\n\nПрактика из оценки услуги {{.Service}} за {{.Period}} ждёт проверки:\n{{.Comment}}\n\nПроверить её:\n{{.Link}}\n"},
		assessments.NoticePracticePublished: {"Практика опубликована: {{.Service}} ({{.Period}})",
			"Здравствуйте, {{.Name}}!\n\nЭксперт опубликовал практику, которую вы описали по оценке услуги {{.Service}} за {{.Period}}.{{if .Comment}}\n\nКомментарий эксперта:\n{{.Comment}}{{end}}\n\nПосмотреть её:\n{{.Link}}\n"},
		assessments.NoticePracticeReturned: {"Практика возвращена: {{.Service}} ({{.Period}})",
			"Здравствуйте, {{.Name}}!\n\nЭксперт вернул практику, которую вы описали по оценке услуги {{.Service}} за {{.Period}}.\n\nКомментарий эксперта:\n{{.Comment}}\n\nИсправьте её и отправьте снова:\n{{.Link}}\n"},
	},
	"fr": {
		assessments.NoticeSubmitted: {"Évaluation soumise pour examen\u00a0: {{.Service}} ({{.Period}})",
			"Bonjour {{.Name}},\n\nL'évaluation de {{.Service}} pour {{.Period}} a été soumise et attend son examen.\n\nL'examiner ici\u00a0:\n{{.Link}}\n"},
		assessments.NoticeReturned: {"Évaluation renvoyée\u00a0: {{.Service}} ({{.Period}})",
			"Bonjour {{.Name}},\n\nL'examinateur a renvoyé l'évaluation de {{.Service}} pour {{.Period}}.{{if .Comment}}\n\nCommentaire de l'examinateur\u00a0:\n{{.Comment}}{{end}}\n\nVoir ce qu'il faut modifier et la soumettre à nouveau\u00a0:\n{{.Link}}\n"},
		assessments.NoticeApproved: {"Évaluation approuvée\u00a0: {{.Service}} ({{.Period}})",
			"Bonjour {{.Name}},\n\nL'évaluation de {{.Service}} pour {{.Period}} a été approuvée.{{if .Comment}}\n\nCommentaire de l'examinateur\u00a0:\n{{.Comment}}{{end}}\n\nVoir le résultat et sa carte de maturité\u00a0:\n{{.Link}}\n"},
		assessments.NoticeCardRevoked: {"Carte de maturité révoquée\u00a0: {{.Service}} ({{.Period}})",
			"Bonjour {{.Name}},\n\nLa carte de maturité de {{.Service}} pour {{.Period}} a été révoquée.\n\nMotif\u00a0:\n{{.Comment}}\n\nLa carte\u00a0:\n{{.Link}}\n"},
		assessments.NoticeAccountCreated: {"Votre compte DMF",
			"Bonjour {{.Name}},\n\nUn administrateur vous a créé un compte sur l'outil du Cadre de maturité numérique. Il vous communiquera un premier mot de passe, que vous changerez à votre première connexion\u00a0:\n{{.Link}}\n"},
		assessments.NoticePasswordReset: {"Votre mot de passe DMF a été réinitialisé",
			"Bonjour {{.Name}},\n\nLe mot de passe de votre compte a été réinitialisé, et toutes les sessions et tous les jetons d'API du compte ont pris fin. Si vous ne vous y attendiez pas, prévenez votre administrateur.\n\nSe connecter\u00a0:\n{{.Link}}\n"},
		assessments.NoticeSecondFactorReset: {"Le second facteur de votre compte DMF a été supprimé",
			"Bonjour {{.Name}},\n\nUn administrateur a supprimé le second facteur (application d'authentification, clés d'accès et codes de récupération) de votre compte\u202f; vous vous connectez donc désormais avec votre seul mot de passe. Configurez de nouveau un second facteur sur la page de votre compte. Si vous n'avez rien demandé, prévenez immédiatement votre administrateur.\n\nSe connecter\u00a0:\n{{.Link}}\n"},
		assessments.NoticePeerKeysRefused: {"Les clés d'une instance partenaire DMF ont été refusées",
			"Bonjour {{.Name}},\n\nUne instance partenaire a publié des clés différentes de celles qu'un administrateur avait confirmées. Elles ont été refusées\u202f; les clés confirmées restent en usage.\n\n{{.Comment}}\n\nVérifiez auprès des administrateurs de l'instance partenaire\u00a0:\n{{.Link}}\n"},
		assessments.NoticeSplitView: {"Un journal de transparence a présenté des points de contrôle incohérents",
			"Bonjour {{.Name}},\n\nUn témoin a constaté qu'un journal de transparence présentait un point de contrôle incohérent avec un point de contrôle déjà contresigné (vue divergente ou historique réécrit). Les preuves sont conservées.\n\n{{.Comment}}\n\nVoir les instances partenaires\u00a0:\n{{.Link}}\n"},
		assessments.MailPasswordResetLink: {"Choisir un nouveau mot de passe DMF",
			"Bonjour {{.Name}},\n\nQuelqu'un, sans doute vous-même, a demandé à choisir un nouveau mot de passe pour votre compte. Suivez ce lien dans les 30\u00a0minutes pour le choisir\u202f; il ne fonctionne qu'une fois\u00a0:\n{{.Link}}\n\nSi vous n'avez rien demandé, ignorez ce message\u202f: votre mot de passe reste inchangé.\n"},
		assessments.NoticePracticeSubmitted: {"Pratique à examiner\u00a0: {{.Comment}}",
			"Bonjour {{.Name}},\n\nUne pratique tirée de l'évaluation de {{.Service}} pour {{.Period}} attend son examen\u00a0:\n{{.Comment}}\n\nL'examiner ici\u00a0:\n{{.Link}}\n"},
		assessments.NoticePracticePublished: {"Pratique publiée\u00a0: {{.Service}} ({{.Period}})",
			"Bonjour {{.Name}},\n\nL'examinateur a publié la pratique que vous avez rédigée à partir de l'évaluation de {{.Service}} pour {{.Period}}.{{if .Comment}}\n\nCommentaire de l'examinateur\u00a0:\n{{.Comment}}{{end}}\n\nLa consulter ici\u00a0:\n{{.Link}}\n"},
		assessments.NoticePracticeReturned: {"Pratique renvoyée\u00a0: {{.Service}} ({{.Period}})",
			"Bonjour {{.Name}},\n\nL'examinateur a renvoyé la pratique que vous avez rédigée à partir de l'évaluation de {{.Service}} pour {{.Period}}.\n\nCommentaire de l'examinateur\u00a0:\n{{.Comment}}\n\nLa modifier et la soumettre à nouveau\u00a0:\n{{.Link}}\n"},
	},
	"zh": {
		assessments.NoticeSubmitted: {"评估已提交审核：{{.Service}}（{{.Period}}年）",
			"{{.Name}}，您好：\n\n{{.Service}} {{.Period}}年的评估已提交，正在等待审核。\n\n请在此审核：\n{{.Link}}\n"},
		assessments.NoticeReturned: {"评估已退回：{{.Service}}（{{.Period}}年）",
			"{{.Name}}，您好：\n\n审核员退回了 {{.Service}} {{.Period}}年的评估。{{if .Comment}}\n\n审核员意见：\n{{.Comment}}{{end}}\n\n查看需要修改的内容并再次提交：\n{{.Link}}\n"},
		assessments.NoticeApproved: {"评估已获批准：{{.Service}}（{{.Period}}年）",
			"{{.Name}}，您好：\n\n{{.Service}} {{.Period}}年的评估已获批准。{{if .Comment}}\n\n审核员意见：\n{{.Comment}}{{end}}\n\n查看结果及其成熟度卡：\n{{.Link}}\n"},
		assessments.NoticeCardRevoked: {"成熟度卡已撤销：{{.Service}}（{{.Period}}年）",
			"{{.Name}}，您好：\n\n{{.Service}} {{.Period}}年的成熟度卡已被撤销。\n\n理由：\n{{.Comment}}\n\n成熟度卡：\n{{.Link}}\n"},
		assessments.NoticeAccountCreated: {"您的 DMF 账户",
			"{{.Name}}，您好：\n\n管理员已在数字成熟度框架工具中为您创建了账户。管理员会告知您初始密码，请在首次登录时更改：\n{{.Link}}\n"},
		assessments.NoticePasswordReset: {"您的 DMF 密码已重置",
			"{{.Name}}，您好：\n\n您账户的密码已重置，该账户的所有会话和 API 令牌均已失效。如非您本人预期，请告知管理员。\n\n登录：\n{{.Link}}\n"},
		assessments.NoticeSecondFactorReset: {"您的 DMF 账户的第二验证因素已被删除",
			"{{.Name}}，您好：\n\n管理员已删除您账户的第二验证因素（身份验证器应用、通行密钥和恢复码），因此您现在仅凭密码登录。请在账户页面重新设置第二验证因素。如果您没有提出此要求，请立即告知管理员。\n\n登录：\n{{.Link}}\n"},
		assessments.NoticePeerKeysRefused: {"DMF 伙伴实例的密钥已被拒绝",
			"{{.Name}}，您好：\n\n某伙伴实例发布了与管理员已确认的密钥不同的密钥。这些密钥已被拒绝；已确认的密钥继续使用。\n\n{{.Comment}}\n\n请与该伙伴实例的管理员核实：\n{{.Link}}\n"},
		assessments.NoticeSplitView: {"某透明度日志出现了不一致的检查点",
			"{{.Name}}，您好：\n\n见证方发现某透明度日志出示的检查点与已联署的检查点不一致（分裂视图或改写的历史）。证据已保存。\n\n{{.Comment}}\n\n查看伙伴实例：\n{{.Link}}\n"},
		assessments.MailPasswordResetLink: {"设置新的 DMF 密码",
			"{{.Name}}，您好：\n\n有人（很可能是您本人）申请为您的账户设置新密码。请在 30 分钟内点击以下链接设置新密码；该链接只能使用一次：\n{{.Link}}\n\n如果您没有提出申请，请忽略本邮件，您的密码不会改变。\n"},
		assessments.NoticePracticeSubmitted: {"待审核的做法：{{.Comment}}",
			"{{.Name}}，您好：\n\n{{.Service}} {{.Period}}年评估中的一项做法正在等待审核：\n{{.Comment}}\n\n请在此审核：\n{{.Link}}\n"},
		assessments.NoticePracticePublished: {"做法已发布：{{.Service}}（{{.Period}}年）",
			"{{.Name}}，您好：\n\n审核员已发布您根据 {{.Service}} {{.Period}}年评估撰写的做法。{{if .Comment}}\n\n审核员意见：\n{{.Comment}}{{end}}\n\n在此查看：\n{{.Link}}\n"},
		assessments.NoticePracticeReturned: {"做法已退回：{{.Service}}（{{.Period}}年）",
			"{{.Name}}，您好：\n\n审核员退回了您根据 {{.Service}} {{.Period}}年评估撰写的做法。\n\n审核员意见：\n{{.Comment}}\n\n请修改后再次提交：\n{{.Link}}\n"},
	},
}

// Languages are the languages mail is written in; others get English.
func Languages() []string { return []string{"en", "ru", "fr", "zh"} }

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
