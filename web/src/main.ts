// Boot: pick the page for the current path, behind the login when there is no session.

import "./styles.css";
import { describeError, onSessionEnded, request } from "./api";
import { endSession, session } from "./auth";
import { renderComingSoon, renderForbidden, renderNotFound } from "./pages/coming_soon";
import { renderLogin } from "./pages/login";
import { kPages } from "./pages/registry";
import { navigate, startRouter } from "./router";
import { mayOpen, sectionFor } from "./nav";
import { renderShell } from "./shell";

const root = document.getElementById("app") as HTMLElement;
let loginNotice: string | undefined;
// Where to go after logging in, when the login page interrupted a visit.
let afterLogin = "/";

function showLogin(notice?: string): void {
  loginNotice = notice;
  navigate("/login", true);
}

async function logout(): Promise<void> {
  const refreshToken = session()?.refreshToken;
  let notice = "You have logged out.";
  try {
    await request<void>("/auth/logout", { body: { refresh_token: refreshToken } });
  } catch (e) {
    // The tokens are dropped here either way; say that the server may still accept them.
    notice = `Logged out of this browser, but the server could not end the session: ${describeError(e)}`;
  }
  endSession();
  afterLogin = "/";
  showLogin(notice);
}

function render(path: string): void {
  const current = session();
  if (path === "/login") {
    if (current) return navigate(afterLogin, true);
    const notice = loginNotice;
    loginNotice = undefined;
    renderLogin(root, {
      notice,
      onLoggedIn: () => {
        const target = afterLogin;
        afterLogin = "/";
        navigate(target, true);
      },
    });
    document.title = "Log in · Gatehouse";
    return;
  }
  if (!current) {
    afterLogin = path;
    return showLogin();
  }

  const main = renderShell(root, { admin: current.admin, path, onLogout: () => void logout() });
  const section = sectionFor(path);
  document.title = `${section?.label ?? "Not found"} · Gatehouse`;
  if (!section) return renderNotFound(main, path);
  if (!mayOpen(section)) return renderForbidden(main, section);
  const page = kPages[section.path];
  if (page) void page(main, path);
  else renderComingSoon(main, section);
}

onSessionEnded((reason) => {
  afterLogin = window.location.pathname === "/login" ? "/" : window.location.pathname;
  showLogin(reason);
});
startRouter(render);
