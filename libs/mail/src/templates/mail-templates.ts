import Handlebars from 'handlebars';
import type { OutgoingMail } from '../transport/outgoing-mail.js';

/** Every mail the service sends, with what its template needs. Nothing here is ever a password. */
export type MailContent =
  | { readonly kind: 'verify_email'; readonly link: string }
  | { readonly kind: 'password_reset'; readonly link: string; readonly validMinutes: number }
  | { readonly kind: 'email_change_confirm'; readonly link: string }
  | { readonly kind: 'email_change_notice'; readonly newEmail: string; readonly devicesLink: string }
  | { readonly kind: 'email_taken_notice'; readonly resetLink: string }
  | {
      readonly kind: 'new_device';
      readonly deviceName: string;
      readonly platform: string;
      readonly at: string;
      readonly ip: string;
      readonly devicesLink: string;
    };

export type MailKind = MailContent['kind'];

interface Template {
  readonly subject: string;
  /** Lines of the body; `{{link}}`-style placeholders, the same for text and HTML. */
  readonly paragraphs: readonly string[];
  /** The placeholder holding the mail's button link, if any. */
  readonly action?: { readonly label: string; readonly link: string };
}

// English only: the account's language is not known yet (API.md: "English otherwise").
const TEMPLATES: Record<MailKind, Template> = {
  verify_email: {
    subject: 'Confirm your email address',
    paragraphs: ['Confirm that this address belongs to your account.', 'If you did not create an account, ignore this mail.'],
    action: { label: 'Confirm my address', link: 'link' },
  },
  password_reset: {
    subject: 'Reset your password',
    paragraphs: [
      'Someone asked to reset the password of the account with this address. The link works once, for {{validMinutes}} minutes.',
      'Resetting signs out every device of the account. If it was not you, ignore this mail: your password stays as it is.',
    ],
    action: { label: 'Choose a new password', link: 'link' },
  },
  email_change_confirm: {
    subject: 'Confirm your new email address',
    paragraphs: ['Confirm this address to make it the new address of your account.', 'If you did not ask for this, ignore this mail.'],
    action: { label: 'Confirm my new address', link: 'link' },
  },
  email_change_notice: {
    subject: 'Your account is changing its email address',
    paragraphs: [
      'Someone signed in to your account asked to change its address to {{newEmail}}. Nothing changes until the new address is confirmed.',
      'If it was not you, sign out the devices you do not know and change your password.',
    ],
    action: { label: 'See my devices', link: 'devicesLink' },
  },
  email_taken_notice: {
    subject: 'Someone tried to use your email address',
    paragraphs: [
      'Someone asked to move another account to this address, which already has an account. Nothing was changed.',
      'If you cannot sign in to your account, you can reset its password.',
    ],
    action: { label: 'Reset my password', link: 'resetLink' },
  },
  new_device: {
    subject: 'New sign-in: {{deviceName}}',
    paragraphs: [
      'New sign-in: {{deviceName}}, {{platform}}, {{at}}, {{ip}}.',
      'If it was not you, sign that device out and change your password.',
    ],
    action: { label: 'See my devices', link: 'devicesLink' },
  },
};

/**
 * Renders mails from their templates with Handlebars (the dashboard's engine): the HTML part
 * escapes every value, the text part carries them as typed. Values are what users typed (device
 * names, addresses), so nothing is ever inserted unescaped into HTML.
 */
export class MailTemplates {
  private readonly compiled = new Map<MailKind, (content: MailContent) => Omit<OutgoingMail, 'to'>>();

  constructor(private readonly productName: string) {
    const handlebars = Handlebars.create();
    for (const [kind, template] of Object.entries(TEMPLATES) as [MailKind, Template][]) {
      const subject = handlebars.compile(template.subject, { noEscape: true, strict: true });
      const textParagraphs = template.paragraphs.map((paragraph) => handlebars.compile(paragraph, { noEscape: true, strict: true }));
      const htmlParagraphs = template.paragraphs.map((paragraph) => handlebars.compile(paragraph, { strict: true }));
      const escape = (value: string) => handlebars.Utils.escapeExpression(value);
      this.compiled.set(kind, (content) => {
        const link = template.action ? actionLink(content, template.action.link) : null;
        const text = [
          ...textParagraphs.map((render) => render(content)),
          ...(link ? [`${template.action!.label}: ${link}`] : []),
          `— ${productName}`,
        ].join('\n\n');
        const html = [
          '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">',
          ...htmlParagraphs.map((render) => `<p>${render(content)}</p>`),
          ...(link ? [`<p><a href="${escape(link)}">${escape(template.action!.label)}</a></p>`] : []),
          `<p>— ${escape(productName)}</p>`,
          '</body></html>',
        ].join('\n');
        return { subject: subject(content), text: `${text}\n`, html };
      });
    }
  }

  render(to: string, content: MailContent): OutgoingMail {
    return { to, ...this.compiled.get(content.kind)!(content) };
  }
}

/** The mail's button link; a mail without it is never sent (an empty link would be worse than none). */
function actionLink(content: MailContent, field: string): string {
  const link = (content as unknown as Record<string, unknown>)[field];
  if (typeof link !== 'string' || link === '') throw new Error(`The ${content.kind} mail needs its ${field}`);
  return link;
}
