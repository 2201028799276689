import { IsString, MaxLength } from 'class-validator';

/** A landing page's button: the mailed token, from the page's hidden field. */
export class LinkTokenForm {
  @IsString()
  @MaxLength(512)
  token!: string;
}
