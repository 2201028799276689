/** A rendered mail, ready for a transport: plain text plus HTML (API.md, Accounts: Mail). */
export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}
