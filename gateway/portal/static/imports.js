/* An import's progress without reloading: asks /staff/imports/<id>/progress every second and
   rewrites the status, the progress bar and the count; when the run ends, reloads once to show
   the outcome. Without JavaScript the page's 刷新进度 does the same. */
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.getAttribute("data-running") !== "yes") { return; }
  var labels = {waiting: "排队中", checking: "正在检查", importing: "正在导入",
                done: "已完成", failed: "未能完成"};
  var id = box.getAttribute("data-import");
  function ask() {
    fetch("/staff/imports/" + encodeURIComponent(id) + "/progress",
          {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        var percent = job.percent || 0;
        document.getElementById("import-status").textContent = labels[job.status] || job.status;
        document.getElementById("import-percent").value = percent;
        document.getElementById("import-percent").textContent = percent + "%";
        document.getElementById("import-count").textContent = job.total ?
          "已处理 " + job.processed + " / " + job.total + " 行（" + percent + "%）" :
          "已处理 " + job.processed + " 行";
        if (job.status === "done" || job.status === "failed") {
          // The outcome and the confirm form come from the server: for a dry run the page's
          // own form (刷新进度) carries the file on; an import's page is simply read again.
          var again = document.querySelector("form[action$='/dry-run']");
          if (again) { again.submit(); } else { window.location.reload(); }
          return;
        }
        window.setTimeout(ask, 1000);
      })
      .catch(function () { window.setTimeout(ask, 3000); });
  }
  window.setTimeout(ask, 1000);
}());
