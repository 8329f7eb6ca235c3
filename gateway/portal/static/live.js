// The bundle's task list kept current: listens to the bundle's stream and rewrites each matter's
// status in place (the list is an aria-live region, so screen readers hear the change). Without
// JavaScript, or without EventSource, the page's reload link does the same.
(function () {
  "use strict";
  var list = document.getElementById("bundle-status");
  if (!list || !window.EventSource) { return; }
  var labels = JSON.parse(list.getAttribute("data-labels"));
  var source = new EventSource("/bundles/" + encodeURIComponent(list.getAttribute("data-bundle")) + "/live");
  source.addEventListener("bundle", function (event) {
    var bundle = JSON.parse(event.data);
    (bundle.matters || []).forEach(function (matter) {
      var label = labels[matter.status];
      var item = list.querySelector('[data-matter="' + matter.matter + '"] .status');
      if (!label || !item || item.textContent === label[1]) { return; }
      item.textContent = label[1];
      item.className = "status status-" + label[0];
    });
  });
  // Marks the list as following the stream (tests wait for it before a department answers).
  source.addEventListener("open", function () { list.setAttribute("data-live", "open"); });
  source.addEventListener("error", function () { list.removeAttribute("data-live"); });
  source.addEventListener("gone", function () { source.close(); });
}());
