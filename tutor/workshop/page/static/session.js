// Loaded before textual.js: its terminal opens `new WebSocket(...)`, which gets this socket instead.
// It keeps one browser tab's session alive across dropped connections (a closed laptop lid, a
// Wi-Fi change, a restarted server): it says "Reconnecting…" and tries again, 1 s doubling to
// 10 s, until the server answers. Only the app's own end (close code 1000) reaches textual.js,
// which then shows "Session ended". Every connect carries the tab's resume token, so the server
// can hand the new session to the same learner.
(() => {
  "use strict";
  const NativeWebSocket = window.WebSocket;
  const RESUME_KEY = "lambda-tutor-resume";
  const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const FIRST_DELAY_MS = 1000;
  const LONGEST_DELAY_MS = 10000;
  const SESSION_ENDED = 1000;
  const ROOM_FULL = 4001;
  // ESC c, a full reset: the new session's app draws on a clean terminal, not the old screen.
  const TERMINAL_RESET = new Uint8Array([0x1b, 0x63]).buffer;

  function resumeToken() {
    let token = null;
    try {
      token = window.sessionStorage.getItem(RESUME_KEY);
    } catch (error) {
      // Storage blocked (a privacy setting): the tab still works, it just cannot resume.
    }
    if (token && /^[A-Za-z0-9_-]{32}$/.test(token)) {
      return token;
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(32));
    token = Array.from(bytes, (byte) => URL_SAFE[byte & 63]).join("");
    try {
      window.sessionStorage.setItem(RESUME_KEY, token);
    } catch (error) {
      // As above: a token for this page's life only.
    }
    return token;
  }

  function socketUrl(address) {
    // The page may give a relative address: resolve it against the address the browser used,
    // http becoming ws and https wss, so the page works under whatever name reached it.
    const url = new URL(address, window.location.href);
    if (url.protocol === "http:") url.protocol = "ws:";
    if (url.protocol === "https:") url.protocol = "wss:";
    url.searchParams.set("resume", resumeToken());
    return url.toString();
  }

  function showNotice(text) {
    const notice = document.getElementById("connection-notice");
    if (notice) notice.textContent = text;
    document.body.classList.toggle("-reconnecting", Boolean(text));
  }

  class SessionSocket extends EventTarget {
    constructor(address) {
      super();
      this.url = socketUrl(address);
      this.binaryType = "arraybuffer";
      this.delay = FIRST_DELAY_MS;
      this.connectedBefore = false;
      this.closedByPage = false;
      this.socket = null;
      this.open();
    }

    get readyState() {
      return this.socket ? this.socket.readyState : NativeWebSocket.CONNECTING;
    }

    send(data) {
      if (this.socket && this.socket.readyState === NativeWebSocket.OPEN) this.socket.send(data);
    }

    close(code, reason) {
      this.closedByPage = true;
      if (this.socket) this.socket.close(code, reason);
    }

    open() {
      const socket = new NativeWebSocket(this.url);
      socket.binaryType = this.binaryType;
      this.socket = socket;
      socket.addEventListener("open", () => {
        this.delay = FIRST_DELAY_MS;
        showNotice("");
        if (this.connectedBefore) {
          this.dispatchEvent(new MessageEvent("message", { data: TERMINAL_RESET }));
        }
        this.connectedBefore = true;
        this.dispatchEvent(new Event("open"));
      });
      socket.addEventListener("message", (event) => {
        this.dispatchEvent(new MessageEvent("message", { data: event.data }));
      });
      socket.addEventListener("close", (event) => {
        if (event.code === SESSION_ENDED || this.closedByPage) {
          showNotice("");
          this.dispatchEvent(
            new CloseEvent("close", { code: event.code, reason: event.reason, wasClean: event.wasClean })
          );
          return;
        }
        const seconds = Math.round(this.delay / 1000);
        showNotice(
          event.code === ROOM_FULL
            ? `The room is full: every seat on this server is taken. Trying again in ${seconds} s…`
            : "Reconnecting…"
        );
        setTimeout(() => this.open(), this.delay);
        this.delay = Math.min(this.delay * 2, LONGEST_DELAY_MS);
      });
    }
  }

  window.WebSocket = SessionSocket;
})();
