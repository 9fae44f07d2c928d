// The login page: POST /auth/login (docs/api-auth.md). 401 shows the server's message as is
// (the same for an unknown user and a wrong password); 429 counts down Retry-After.

import { ApiError, describeError, request } from "../api";
import { startSession, type TokenPair } from "../auth";
import { h } from "../dom";

export interface LoginOptions {
  /** An info line above the form: "You have logged out.", "Your session has ended." */
  notice?: string;
  onLoggedIn: () => void;
}

export function renderLogin(root: HTMLElement, options: LoginOptions): void {
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true, autofocus: true });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit", class: "primary" }, "Log in");
  const error = h("p", { class: "alert error", role: "alert", hidden: true });
  let countdown: number | undefined;
  let waiting = false;

  const showError = (text: string) => {
    error.textContent = text;
    error.hidden = false;
  };

  // Keep the button disabled while the server would refuse anyway, and say for how long.
  const waitOut = (seconds: number) => {
    window.clearInterval(countdown);
    waiting = true;
    let left = seconds;
    const tick = () => {
      if (left <= 0 || !submit.isConnected) {
        window.clearInterval(countdown);
        waiting = false;
        submit.disabled = false;
        error.hidden = true;
        return;
      }
      showError(`Too many login attempts. Try again in ${left} s.`);
      submit.disabled = true;
      left -= 1;
    };
    tick();
    countdown = window.setInterval(tick, 1000);
  };

  const form = h(
    "form",
    {
      class: "login-form",
      novalidate: true,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        error.hidden = true;
        if (!username.value.trim()) return showError("Enter your username.");
        if (!password.value) return showError("Enter your password.");
        submit.disabled = true;
        submit.textContent = "Logging in…";
        try {
          const pair = await request<TokenPair>("/auth/login", {
            body: { username: username.value.trim(), password: password.value },
            auth: false,
          });
          startSession(pair);
          options.onLoggedIn();
          return;
        } catch (e) {
          password.value = "";
          password.focus();
          if (e instanceof ApiError && e.status === 429 && e.retryAfter) waitOut(e.retryAfter);
          else showError(describeError(e));
        } finally {
          submit.textContent = "Log in";
          if (!waiting) submit.disabled = false;
        }
      },
    },
    h("div", { class: "brand big" }, h("span", { class: "logo", "aria-hidden": "true" }), "Gatehouse"),
    h("h1", {}, "Log in to the admin panel"),
    options.notice ? h("p", { class: "alert info", role: "status" }, options.notice) : null,
    error,
    h("label", { for: "username" }, "Username"),
    username,
    h("label", { for: "password" }, "Password"),
    password,
    submit,
  );
  root.replaceChildren(h("main", { class: "login-page" }, form));
  username.focus();
}
