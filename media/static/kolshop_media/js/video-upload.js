// kolshop video uploader: the server signs, the browser sends the bytes to S3, the server confirms.
// Single files go up as a presigned form POST; large ones as presigned multipart PUTs
// (the bucket's CORS rule must allow PUT/POST from the admin origin and expose the ETag header).
(function () {
  "use strict";
  var form = document.getElementById("video-upload");
  if (!form) return;
  var statusLine = document.getElementById("video-status");
  var progress = document.getElementById("video-progress");
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function say(text) { statusLine.textContent = text; }

  function api(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.message + (data.field ? " (" + data.field + ")" : ""));
        return data;
      });
    });
  }

  function send(method, url, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var request = new XMLHttpRequest();
      request.open(method, url);
      request.upload.onprogress = function (event) { if (event.lengthComputable) onProgress(event.loaded); };
      request.onload = function () {
        if (request.status >= 200 && request.status < 300) resolve(request);
        else reject(new Error("Storage refused the upload (HTTP " + request.status + ")."));
      };
      request.onerror = function () { reject(new Error("The upload failed (network or CORS).")); };
      request.send(body);
    });
  }

  function uploadWithPost(upload, file) {
    var data = new FormData();
    Object.keys(upload.post.fields).forEach(function (name) { data.append(name, upload.post.fields[name]); });
    data.append("file", file); // S3 reads every field after "file" as content, so it goes last
    return send("POST", upload.post.url, data, function (sent) { progress.value = (100 * sent) / file.size; })
      .then(function () { return []; });
  }

  function uploadInParts(upload, file) {
    var done = [];
    var sentBefore = 0;
    return upload.parts.reduce(function (previous, part) {
      return previous.then(function () {
        var start = (part.part_number - 1) * upload.part_bytes;
        var chunk = file.slice(start, start + upload.part_bytes);
        return send("PUT", part.url, chunk, function (sent) {
          progress.value = (100 * (sentBefore + sent)) / file.size;
        }).then(function (request) {
          sentBefore += chunk.size;
          done.push({ part_number: part.part_number, etag: request.getResponseHeader("ETag") });
        });
      });
    }, Promise.resolve()).then(function () { return done; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = form.elements.file.files[0];
    if (!file) { say("Choose a video file."); return; }
    var duration = form.elements.duration_seconds.value;
    var start = {
      title: form.elements.title.value,
      filename: file.name,
      content_type: file.type,
      size_bytes: file.size,
      duration_seconds: duration === "" ? null : parseInt(duration, 10),
    };
    progress.hidden = false;
    say("Preparing the upload…");
    var videoId;
    api(form.dataset.startUrl, start)
      .then(function (ticket) {
        videoId = ticket.video.id;
        say("Uploading…");
        return ticket.upload.method === "multipart" ? uploadInParts(ticket.upload, file) : uploadWithPost(ticket.upload, file);
      })
      .then(function (parts) {
        say("Checking the upload…");
        return api(form.dataset.videosUrl + videoId + "/confirm", { parts: parts });
      })
      .then(function (video) {
        say("Uploaded.");
        window.location.href = form.dataset.editUrlTemplate.replace("{id}", video.id);
      })
      .catch(function (error) { say(error.message); });
  });
})();
