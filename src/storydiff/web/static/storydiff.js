// storydiff web UI: link aligned sentences across the columns (hover, focus, Enter).
// Only toggles classes and focus; never reads article text into HTML.
(function () {
  "use strict";
  function partners(el) {
    var al = el.getAttribute("data-al");
    if (!al) return [];
    return Array.prototype.slice.call(document.querySelectorAll('.s[data-al="' + CSS.escape(al) + '"]'));
  }
  function clear() {
    document.querySelectorAll(".s.hl, .s.hl-self").forEach(function (n) { n.classList.remove("hl", "hl-self"); });
  }
  function light(el) {
    clear();
    partners(el).forEach(function (n) { n.classList.add(n === el ? "hl-self" : "hl"); });
  }
  function sentence(target) {
    return target && target.closest ? target.closest(".s[data-al]") : null;
  }
  document.addEventListener("mouseover", function (e) { var s = sentence(e.target); if (s) light(s); });
  document.addEventListener("mouseout", function (e) {
    var s = sentence(e.target);
    if (s && !s.contains(e.relatedTarget) && document.activeElement !== s) clear();
  });
  document.addEventListener("focusin", function (e) { var s = sentence(e.target); if (s) light(s); });
  document.addEventListener("focusout", function (e) { if (sentence(e.target)) clear(); });
  document.addEventListener("keydown", function (e) {
    var s = sentence(e.target);
    if (!s || (e.key !== "Enter" && e.key !== " ")) return;
    var all = partners(s);
    if (all.length < 2) return;
    e.preventDefault();
    var next = all[(all.indexOf(s) + 1) % all.length];
    next.focus();
    next.scrollIntoView({ block: "nearest", inline: "nearest" });
  });
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest("a.jump[data-al]") : null;
    if (!a) return;
    var first = document.querySelector('.s[data-al="' + CSS.escape(a.getAttribute("data-al")) + '"]');
    if (first) { e.preventDefault(); first.focus(); first.scrollIntoView({ block: "center" }); }
  });
})();
