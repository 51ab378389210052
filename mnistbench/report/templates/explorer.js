  // The digit explorer: one panel per digit, shown when its button is clicked.
  var probes = document.querySelectorAll("button.probe");
  function showDigit(k) {
    document.querySelectorAll(".digit-panel").forEach(function (p) {
      p.hidden = p.getAttribute("data-digit") !== k;
    });
    probes.forEach(function (b) {
      b.classList.toggle("active", b.getAttribute("data-digit") === k);
    });
  }
  probes.forEach(function (b) {
    b.addEventListener("click", function () { showDigit(b.getAttribute("data-digit")); });
  });
  if (probes.length) showDigit(probes[0].getAttribute("data-digit"));
  document.querySelectorAll("button.show-all").forEach(function (b) {
    b.addEventListener("click", function () { b.parentNode.classList.toggle("all"); });
  });
  // The model filter hides a model in every section at once.
  var boxes = document.querySelectorAll("input.spec-filter");
  function applyFilter() {
    var off = Object.create(null), shown = 0;
    boxes.forEach(function (c) { if (!c.checked) off[c.value] = true; else shown += 1; });
    document.querySelectorAll("[data-spec]").forEach(function (el) {
      el.classList.toggle("filtered", off[el.getAttribute("data-spec")] === true);
    });
    var count = document.getElementById("filter-count");
    if (count) count.textContent = shown + " of " + boxes.length;
  }
  boxes.forEach(function (c) { c.addEventListener("change", applyFilter); });
  document.querySelectorAll("button.filter-all").forEach(function (b) {
    b.addEventListener("click", function () {
      var on = b.getAttribute("data-on") === "1";
      boxes.forEach(function (c) { c.checked = on; });
      applyFilter();
    });
  });
  // Sections collapse and expand on a click of their heading.
  document.querySelectorAll("section > h2").forEach(function (h) {
    h.title = "click to collapse or expand this section";
    h.addEventListener("click", function () { h.parentNode.classList.toggle("collapsed"); });
  });
