/* global window, document, fetch */
// The dashboard's passkey ceremonies, with @simplewebauthn/browser (loaded just before, as
// /static/simplewebauthn-browser.js; the global SimpleWebAuthnBrowser). Served from the
// dashboard's own origin: the CSP allows no other script and nothing inline, so the pages mark
// their parts with data-passkey-* attributes and this script attaches the listeners.
//
// - [data-passkey-sign-in]: "Sign in with a passkey" (its button), and passkey autofill on the
//   email field marked autocomplete="username webauthn" (conditional mediation);
// - [data-passkey-add]: the form that adds a passkey to the account;
// - [data-passkey-reauth]: "Use a passkey" on "Confirm it's you".
// Each part's data-options and data-finish name the dashboard routes it posts to (JSON, with
// the page's CSRF token from <meta name="csrf-token">). An answer's `redirect` is followed, its
// `error` shown in the part's [data-passkey-status]. Parts stay hidden without WebAuthn.
(() => {
  'use strict';
  const library = window.SimpleWebAuthnBrowser;
  if (!library || !library.browserSupportsWebAuthn()) return;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

  /** Thrown once the page is being left: nothing more to show. */
  class Leaving extends Error {}

  async function post(url, body) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ ...body, _csrf: csrf }),
    });
    let answer;
    try {
      answer = await response.json();
    } catch {
      answer = {};
    }
    // Only a path on this site (the server answers nothing else).
    if (typeof answer.redirect === 'string' && answer.redirect.startsWith('/') && !answer.redirect.startsWith('//')) {
      window.location.assign(answer.redirect);
      throw new Leaving();
    }
    if (!response.ok)
      throw new Error(typeof answer.error === 'string' ? answer.error : 'That did not work. Reload the page and try again.');
    return answer;
  }

  function explain(error) {
    if (error instanceof Leaving) return undefined;
    // The browser's own refusals: cancelled, timed out, or no passkey for this site.
    if (error && (error.name === 'NotAllowedError' || error.name === 'AbortError')) return 'No passkey was used.';
    if (error && error.name === 'InvalidStateError') return 'This passkey is on your account already.';
    return error && error.message ? error.message : 'That did not work.';
  }

  function show(part, message) {
    const status = part.querySelector('[data-passkey-status]');
    if (status && message !== undefined) status.textContent = message;
  }

  /** Options from the part's data-options route, the browser's ceremony, its result to data-finish. */
  async function authenticate(part, autofill) {
    const { challengeId, options } = await post(part.dataset.options, {});
    const response = await library.startAuthentication({ optionsJSON: options, useBrowserAutofill: autofill });
    await post(part.dataset.finish, { challengeId, response });
  }

  function whileBusy(button, work) {
    return async () => {
      if (button.disabled) return;
      button.disabled = true;
      try {
        await work();
      } finally {
        button.disabled = false;
      }
    };
  }

  for (const part of document.querySelectorAll('[data-passkey-sign-in], [data-passkey-reauth]')) {
    const button = part.querySelector('button');
    part.hidden = false;
    button?.addEventListener(
      'click',
      whileBusy(button, async () => {
        show(part, '');
        try {
          await authenticate(part, false);
        } catch (error) {
          show(part, explain(error));
        }
      }),
    );
  }

  // Autofill: the browser offers its passkeys in the email field's suggestions; picking one signs in.
  const autofill = document.querySelector('[data-passkey-sign-in]');
  if (autofill && document.querySelector('input[autocomplete~="webauthn"]')) {
    library.browserSupportsWebAuthnAutofill().then(async (supported) => {
      if (!supported) return;
      try {
        await authenticate(autofill, true);
      } catch (error) {
        // A button's ceremony cancels this one: that is no failure to report.
        if (error && error.name !== 'AbortError') show(autofill, explain(error));
      }
    });
  }

  for (const form of document.querySelectorAll('form[data-passkey-add]')) {
    form.hidden = false;
    const button = form.querySelector('button');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void whileBusy(button, async () => {
        show(form, '');
        try {
          const options = await post(form.dataset.options, {});
          const response = await library.startRegistration({ optionsJSON: options });
          const name = form.querySelector('input[name="name"]')?.value.trim();
          await post(form.dataset.finish, { response, name: name || undefined });
        } catch (error) {
          show(form, explain(error));
        }
      })();
    });
  }
  for (const note of document.querySelectorAll('[data-passkey-needs-script]')) note.hidden = true;
})();
