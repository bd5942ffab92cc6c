/* A background job's polls outlive a restart of the server.
 *
 * The page follows a background job (training, placing an upload, the baseline maps) by
 * polling the server with the job's key and process (`_dash-update-component?cacheKey=...&job=
 * ...`). Dash's page ends that chain at the first poll that gets no answer ("Callback failed:
 * the server did not respond."): a server killed and started again while a job ran left the
 * page on the job's last progress ("placing 1,900 samples… 0%", "epoch 1/60") for good, with
 * no message and no retry, while the job ran on. The next server answers those polls (the key
 * names the job's entry in the cache's job store, dashboard/jobs_store.py, and the process is
 * looked up by its id), so a poll that gets no answer, or a proxy's 502/503/504 while the
 * server starts, is sent again every RETRY_MS until it is answered: the page then follows its
 * job again (its progress, then its result), or ends it as it ends a killed job (the page says
 * the job stopped, with its retry). Only polls are sent again: the request that starts a job,
 * sent twice, would start two. After MAX_TRIES the poll fails as Dash's did.
 */
(function () {
    "use strict";

    var RETRY_MS = 1000;
    var MAX_TRIES = 600;  // ten minutes without a server
    var PROXY_DOWN = {502: true, 503: true, 504: true};

    if (typeof window === "undefined" || typeof window.fetch !== "function") {
        return;
    }
    var sent = window.fetch;

    function isPoll(input) {
        var url = typeof input === "string" ? input : (input && input.url) || "";
        return url.indexOf("_dash-update-component") >= 0 && url.indexOf("cacheKey=") >= 0;
    }

    window.fetch = function (input, init) {
        var self = this;
        if (!isPoll(input)) {
            return sent.call(self, input, init);
        }
        return new Promise(function (resolve, reject) {
            var tries = 0;
            function again(last, failed) {
                tries += 1;
                if (tries >= MAX_TRIES) {
                    return failed ? reject(last) : resolve(last);
                }
                window.setTimeout(send, RETRY_MS);
            }
            function send() {
                sent.call(self, input, init).then(function (res) {
                    if (PROXY_DOWN[res.status]) {
                        again(res, false);
                    } else {
                        resolve(res);
                    }
                }, function (err) {
                    again(err, true);
                });
            }
            send();
        });
    };
}());
