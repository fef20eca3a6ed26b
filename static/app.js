// Small behaviours on top of htmx: upload progress, 4xx messages, the audio-synced transcript.
(function () {
  "use strict";

  // htmx does not swap error responses by default; our 4xx bodies are messages meant to be read.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    if (status >= 400 && status < 500 && status !== 401) {
      var elt = evt.detail.requestConfig.elt;
      var selector = (elt.closest("[data-error-target]") || {dataset: {}}).dataset.errorTarget;
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
      evt.detail.target = document.querySelector(selector || "#upload-result") || document.getElementById("toast");
      evt.detail.swapOverride = "innerHTML";
    }
  });

  // Filters leave empty choices out of the address, so shared links stay short.
  document.addEventListener("htmx:configRequest", function (evt) {
    if (!evt.detail.elt.classList || !evt.detail.elt.classList.contains("filters")) return;
    try {
      var params = evt.detail.parameters;
      Object.keys(params).forEach(function (key) { if (params[key] === "") delete params[key]; });
    } catch (e) { /* keep the full query */ }
  });

  // The real upload progress, from the browser's upload events.
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var form = evt.target.closest && evt.target.closest("#upload-form");
    if (!form || !evt.detail.lengthComputable) return;
    var box = form.querySelector(".upload-progress");
    var percent = Math.round((evt.detail.loaded / evt.detail.total) * 100);
    box.hidden = false;
    form.querySelector("#upload-bar").value = percent;
    form.querySelector("#upload-percent").textContent = percent + "%";
  });
  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (evt.target.id === "upload-form") {
      evt.target.querySelector("button[type=submit]").disabled = true;
      document.getElementById("upload-result").innerHTML = "";
    }
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.target.id !== "upload-form") return;
    evt.target.querySelector("button[type=submit]").disabled = false;
    var form = evt.target;
    if (evt.detail.xhr && evt.detail.xhr.status >= 400) {
      form.querySelector(".upload-progress").hidden = true;
      return;
    }
    if (evt.detail.successful) {
      evt.target.reset();
      evt.target.querySelector(".upload-progress").hidden = true;
    }
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    var toast = document.getElementById("toast");
    if (toast && toast.innerHTML && evt.detail.target !== toast) toast.innerHTML = "";
    if (toast && evt.detail.target === toast) setTimeout(function () { toast.innerHTML = ""; }, 8000);
  });
  document.addEventListener("htmx:sendError", function () {
    var toast = document.getElementById("toast");
    if (toast) toast.innerHTML = '<div class="alert alert-error">The server could not be reached. Check the connection and try again.</div>';
  });

  // A finished job tells the page, so the transcript panel reloads itself.
  document.addEventListener("htmx:load", function (evt) {
    if (evt.detail.elt.dataset && evt.detail.elt.dataset.jobFinished) {
      htmx.trigger(document.body, "job-finished");
    }
  });

  // Click a line to play from there; the line being played is highlighted.
  document.addEventListener("click", function (evt) {
    var target = evt.target.closest("[data-seek]");
    var player = document.getElementById("player");
    if (!target || !player) return;
    player.currentTime = parseFloat(target.dataset.seek);
    player.play();
  });
  function highlight() {
    var player = document.getElementById("player");
    if (!player) return;
    var t = player.currentTime;
    var current = null;
    document.querySelectorAll(".segment").forEach(function (seg) {
      var inside = t >= parseFloat(seg.dataset.start) && t < parseFloat(seg.dataset.end);
      seg.classList.toggle("playing", inside);
      if (inside) current = seg;
    });
    if (current && !player.paused) {
      var box = current.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) current.scrollIntoView({block: "center", behavior: "smooth"});
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var player = document.getElementById("player");
    if (player) player.addEventListener("timeupdate", highlight);
  });
})();

// Review queue keys: j/k move between units, a accepts and r rejects the first open code, n says no code
// fits, c opens the code list.
(function () {
  function units() { return Array.prototype.slice.call(document.querySelectorAll("#queue .unit")); }
  function current() {
    var list = units();
    var active = document.activeElement && document.activeElement.closest ? document.activeElement.closest("#queue .unit") : null;
    return list.find(function (u) { return u.classList.contains("current"); }) || active || list[0];
  }
  function focus(unit) {
    if (!unit) return;
    units().forEach(function (u) { u.classList.remove("current"); });
    unit.classList.add("current");
    unit.focus({ preventScroll: true });
    unit.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
  // A decision swaps its unit in; until htmx has settled the new unit, its buttons are plain
  // form buttons that would reload the page. A key pressed meanwhile waits for the settle.
  var busy = false, queued = null;
  function decide(key) {
    var unit = current();
    var button = unit && unit.querySelector('button[data-key="' + key + '"]');
    if (button) button.click();
    return !!button;
  }
  document.addEventListener("keydown", function (event) {
    if (!document.getElementById("queue")) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) return;
    var list = units(), unit = current(), index = list.indexOf(unit);
    if (!unit) return;
    if (event.key === "j") { focus(list[Math.min(index + 1, list.length - 1)]); event.preventDefault(); }
    else if (event.key === "k") { focus(list[Math.max(index - 1, 0)]); event.preventDefault(); }
    else if (event.key === "a" || event.key === "r" || event.key === "n") {
      if (busy) { queued = event.key; event.preventDefault(); }
      else if (decide(event.key)) event.preventDefault();
    } else if (event.key === "c") {
      var select = unit.querySelector('select[data-key="c"]');
      if (select) { focus(unit); select.focus(); event.preventDefault(); }
    }
  });
  // A click inside a unit makes it the current one, so the keys act where the analyst is working.
  document.addEventListener("focusin", function (event) {
    var unit = event.target.closest && event.target.closest("#queue .unit");
    if (unit && !unit.classList.contains("current")) {
      units().forEach(function (u) { u.classList.remove("current"); });
      unit.classList.add("current");
    }
  });
  // The counts at the top follow the decisions taken on the page.
  function updateCounts() {
    var count = document.querySelector("#queue .count[data-pending]");
    if (!count) return;
    var done = document.querySelectorAll("#queue .unit.reviewed").length;
    var pending = document.getElementById("pending-count");
    if (pending) pending.textContent = Math.max(parseInt(count.dataset.pending, 10) - done, 0);
    ["reviewed-count", "reviewed-count-head"].forEach(function (id) {
      var reviewed = document.getElementById(id);
      if (reviewed) reviewed.textContent = parseInt(count.dataset.reviewed, 10) + done;
    });
    var pageDone = document.getElementById("page-done"), list = units();
    if (pageDone) pageDone.hidden = !list.length || done < list.length;
  }
  // After a decision the unit is swapped; once htmx has settled its attributes, keep the focus
  // there, or move on to the next unit when this one is done.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var old = event.detail.target;
    var swapped = old && old.id ? document.getElementById(old.id) : null;
    if (!swapped || !swapped.classList.contains("unit") || !document.getElementById("queue")) return;
    updateCounts();
    if (!swapped.closest("#queue")) return;
    var list = units(), i = list.indexOf(swapped);
    focus(swapped.classList.contains("reviewed") && list[i + 1] ? list[i + 1] : swapped);
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.closest && event.target.closest("#queue")) busy = true;
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail.successful) { busy = false; queued = null; }
  });
  // Registered after the focus handler above: the queued key acts on the unit focused by then.
  document.body.addEventListener("htmx:afterSettle", function () {
    busy = false;
    if (queued) { var key = queued; queued = null; decide(key); }
  });
  document.addEventListener("DOMContentLoaded", function () { if (document.getElementById("queue")) focus(units()[0]); });
})();

// Play buttons for quotes: a button with data-clip, or a story's timestamp link, plays just that stretch.
(function () {
  var player = null, playing = null;
  function mark(control) {
    if (playing) playing.classList.remove("playing");
    playing = control || null;
    if (playing) playing.classList.add("playing");
  }
  function play(url, control) {
    if (!player) {
      player = new Audio();
      player.addEventListener("pause", function () { mark(null); });
      player.addEventListener("ended", function () { mark(null); });
    }
    if (player.dataset.url === url && !player.paused) { player.pause(); return; }
    player.dataset.url = url;
    player.src = url;
    player.play().then(function () { mark(control); })
      .catch(function () { mark(null); if (control) control.title = "This quote could not be played."; });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-clip]");
    if (button) { play(button.dataset.clip, button); event.preventDefault(); return; }
    var link = event.target.closest(".story-web a.unit-link[data-unit]");
    if (link) {
      var base = link.closest(".story-web").dataset.clipBase;
      if (base) { play(base + encodeURIComponent(link.dataset.unit) + "/clip", link); event.preventDefault(); }
    }
  });
  // "Clear filters" shows as soon as one filter is set (the chosen language, a hidden field, is no filter).
  function isFilter(field) { return field.name && field.type !== "hidden" && field.value; }
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest(".report-filters");
    var clear = document.getElementById("clear-filters");
    if (!form || !clear) return;
    clear.hidden = !Array.prototype.some.call(form.elements, isFilter);
  });
  // The report's PDF link follows the filters chosen on the page, and so does the language switch
  // (switching language keeps the filters).
  document.body.addEventListener("htmx:afterSwap", function () {
    var template = document.getElementById("pdf-href"), link = document.getElementById("pdf-link");
    if (template && link) link.setAttribute("href", template.innerHTML.trim().replace(/&amp;/g, "&"));
    var form = document.querySelector(".report-filters");
    if (!form) return;
    Array.prototype.forEach.call(document.querySelectorAll(".lang-switch a[hreflang]"), function (anchor) {
      var params = new URLSearchParams();
      Array.prototype.forEach.call(form.elements, function (field) { if (isFilter(field)) params.set(field.name, field.value); });
      params.set("lang", anchor.getAttribute("hreflang"));
      anchor.setAttribute("href", form.getAttribute("action") + "?" + params.toString());
    });
  });
})();

// What pages would otherwise write inline (the Content-Security-Policy runs no inline script and no
// style attribute): data-confirm asks before its form is sent, data-autosubmit sends its form when it
// changes, data-flex sizes a segment of a bar.
(function () {
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-autosubmit]") && field.form) field.form.submit();
  });
  function sizeBars(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-flex]").forEach(function (segment) { segment.style.flex = segment.dataset.flex; });
  }
  document.addEventListener("DOMContentLoaded", function () { sizeBars(document); });
  document.addEventListener("htmx:load", function (evt) { sizeBars(evt.detail.elt); });
})();

// Personal data on the transcript (a study that redacts it): select words in a line to redact what the
// detector missed, or click a mark to say it is not personal data. Each piece of a line carries its offset
// in the line (data-at); the one form is moved under the line and sent as a plain POST.
(function () {
  function form() { return document.getElementById("redact-form"); }
  // The server counts characters as Python does, in code points; a selection's offset in a text node is in
  // UTF-16 code units, two for an emoji or any character beyond the BMP. Array.from splits a string into code
  // points, so "👍 Marco" selected from "M" is 2 here (as in Python), not 3: the mark lands on Marco.
  function offset(node, index) {
    var element = node.nodeType === 3 ? node.parentElement : node;
    var piece = element && element.closest("[data-at]");
    if (!piece) return null;
    var before = node.nodeType === 3 ? Array.from(node.data.slice(0, index)).length : 0;
    return parseInt(piece.dataset.at, 10) + before;
  }
  function open(line, start, end, action, entity, words) {
    var f = form();
    if (!f) return;
    f.action = line.dataset.redact;
    f.elements.start.value = start;
    f.elements.end.value = end;
    f.elements.action.value = action;
    f.elements.entity.hidden = action !== "redact";
    if (entity) f.elements.entity.value = entity;
    f.querySelector("button[type=submit]").textContent = action === "redact" ? "Redact" : "Not personal data";
    f.querySelector(".redact-what").textContent = "“" + words + "”";
    line.insertAdjacentElement("afterend", f);
    f.hidden = false;
  }
  document.addEventListener("mouseup", function (event) {
    var line = event.target.closest && event.target.closest("p.text[data-redact]");
    var selection = window.getSelection();
    if (!line || !selection || selection.isCollapsed) return;
    if (!line.contains(selection.anchorNode) || !line.contains(selection.focusNode)) return;
    var a = offset(selection.anchorNode, selection.anchorOffset), b = offset(selection.focusNode, selection.focusOffset);
    if (a === null || b === null || a === b) return;
    open(line, Math.min(a, b), Math.max(a, b), "redact", null, selection.toString());
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var line = event.target.closest("p.text[data-redact]");
    var selection = window.getSelection();
    if (line && selection && !selection.isCollapsed) { event.stopPropagation(); return; }  // selecting, not playing
    var mark = event.target.closest("p.text[data-redact] mark.pii");
    if (mark) {
      event.stopPropagation();
      var kept = mark.dataset.piiStatus === "kept";
      open(line, mark.dataset.piiStart, mark.dataset.piiEnd, kept ? "redact" : "keep", mark.dataset.piiEntity,
           mark.textContent);
    } else if (event.target.closest("[data-redact-cancel]")) {
      form().hidden = true;
    }
  }, true);
  // A line swapped by htmx (a correction) would take the form with it.
  document.addEventListener("htmx:beforeSwap", function () {
    var f = form(), home = document.getElementById("transcript");
    if (f && home && f.parentElement !== home) { f.hidden = true; home.appendChild(f); }
  });
})();
