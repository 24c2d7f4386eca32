// Pharos: optional enhancements. Every page works without this file.
(function () {
  "use strict";

  // Relative times ("2 min ago") kept fresh; the server renders the first.
  function ago(iso) {
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " d ago";
  }
  function refreshTimes() {
    document.querySelectorAll(".c-checked time[datetime]").forEach(function (t) {
      t.textContent = ago(t.getAttribute("datetime"));
    });
  }
  setInterval(refreshTimes, 10000);

  // A relative ping URL, made whole with this site's own origin.
  document.querySelectorAll("code.ping[data-relative]").forEach(function (c) {
    c.textContent = window.location.origin + c.textContent;
  });

  // A "Copy" button beside a secret shown once (the field is selectable
  // without script too).
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    var field = document.getElementById(b.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) return;
    b.hidden = false;
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        b.textContent = "Copied";
      }, function () {
        field.select();
      });
    });
  });

  // Confirmation before destructive form posts.
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // The target form shows every kind's fields without script; with it,
  // only the chosen kind's fieldset stays visible.
  var kind = document.getElementById("f-kind");
  function showKind() {
    document.querySelectorAll("fieldset.kind").forEach(function (set) {
      var kinds = (set.getAttribute("data-kinds") || "").split(" ");
      set.hidden = kinds.indexOf(kind.value) < 0;
    });
  }
  if (kind) {
    kind.addEventListener("change", showKind);
    showKind();
  }

  function setState(el, s) {
    el.className = el.className.replace(/\bst-\w+/, "st-" + s.state);
    el.textContent = "";
    var icon = document.createElement("span");
    icon.className = "icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = s.icon;
    el.appendChild(icon);
    el.appendChild(document.createTextNode(" " + s.label));
  }

  // Live status over Server-Sent Events: patch rows in place.
  var live = document.getElementById("live");
  var detail = document.getElementById("detail-state");
  if (!window.EventSource || (!live && !detail)) return;
  var source = new EventSource((live && live.getAttribute("data-live")) || "/events");
  source.addEventListener("status", function (e) {
    var s;
    try { s = JSON.parse(e.data); } catch (_) { return; }
    if (detail && detail.getAttribute("data-target") === s.id) {
      if (!detail.classList.contains("st-" + s.state)) setState(detail, s);
      return;
    }
    // The target's row in the table, and in a group's list.
    document.querySelectorAll('[data-target="' + s.id + '"]').forEach(function (row) {
      patchRow(row, s);
    });
  });
  function patchRow(row, s) {
    var changed = row.getAttribute("data-state") !== s.state;
    row.setAttribute("data-state", s.state);
    var badge = row.querySelector(".c-state .state");
    if (badge) setState(badge, s);
    var cell = row.querySelector(".c-checked");
    if (cell && s.checked_iso) {
      cell.textContent = "";
      var t = document.createElement("time");
      t.setAttribute("datetime", s.checked_iso);
      t.title = s.checked_full;
      t.textContent = ago(s.checked_iso);
      cell.appendChild(t);
    }
    var lat = row.querySelector(".c-latency");
    if (lat) lat.textContent = s.latency;
    // Sent with a state change: the server's own markup for the strip
    // (text in it is escaped there), and the uptime as text.
    var up = row.querySelector(".c-uptime");
    if (up && typeof s.uptime === "string") up.textContent = s.uptime;
    var strip = row.querySelector(".c-strip");
    if (strip && typeof s.strip === "string") strip.innerHTML = s.strip;
    if (changed && row.tagName === "TR") {
      row.classList.remove("flash-change");
      void row.offsetWidth;
      row.classList.add("flash-change");
      var name = row.querySelector(".c-name a");
      if (live && name) live.textContent = name.textContent + " is now " + s.label.toLowerCase() + ".";
    }
  }
  source.addEventListener("targets", function () {
    if (live) live.textContent = "Targets were added or removed. Reload to see them.";
  });
})();
