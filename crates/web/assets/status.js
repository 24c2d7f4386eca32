// Live refresh of a public status page: every 30 s while the tab is
// visible, ask for the page again (the browser sends If-None-Match, so an
// unchanged page is a 304) and swap in the new <main>. Without
// JavaScript the page is complete; this only keeps it current.
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main || !window.fetch || !window.DOMParser) return;
  var last = null;
  function refresh() {
    if (document.hidden) return;
    fetch(location.pathname, { cache: "no-cache", credentials: "omit" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html || html === last) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        if (last !== null && fresh) main.innerHTML = fresh.innerHTML;
        last = html;
      })
      .catch(function () {});
  }
  refresh();
  setInterval(refresh, 30000);
  document.addEventListener("visibilitychange", refresh);
})();
