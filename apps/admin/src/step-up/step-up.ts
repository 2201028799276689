/** The pages that need a recent sign-in, by the code a "Confirm it's you" page carries back to them (never a path from the request). */
export const STEP_UP_RETURNS = {
  'change-email': '/account/email',
  delete: '/account/delete',
  devices: '/devices',
  'revoke-others': '/devices/revoke-others',
  passkeys: '/account/passkeys',
  'two-step': '/account/two-step',
} as const;

export type StepUpReturn = keyof typeof STEP_UP_RETURNS;

export function stepUpReturnOf(value: unknown): StepUpReturn {
  return typeof value === 'string' && Object.hasOwn(STEP_UP_RETURNS, value) ? (value as StepUpReturn) : 'change-email';
}

/** Where "Confirm it's you" sends the browser back to after a refused form posted to `path`. */
export function stepUpReturnForPath(path: string): StepUpReturn {
  if (path === '/account/delete') return 'delete';
  // "Sign out all other devices" comes back to its confirmation page.
  if (path === '/devices/revoke-others') return 'revoke-others';
  if (path.startsWith('/devices/') || path === '/devices') return 'devices';
  if (path.startsWith('/account/passkeys')) return 'passkeys';
  if (path.startsWith('/account/two-step')) return 'two-step';
  return 'change-email';
}
