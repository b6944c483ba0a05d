#include "cli/http_client.h"

#include <curl/curl.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

namespace mlws::cli {

namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t WriteFile(char* data, size_t size, size_t n, void* f) {
  return std::fwrite(data, size, n, static_cast<FILE*>(f)) * size;
}

struct Progress {
  const std::function<void(std::int64_t, std::int64_t)>* fn;
};

int OnProgress(void* p, curl_off_t, curl_off_t, curl_off_t ultotal, curl_off_t ulnow) {
  auto* pr = static_cast<Progress*>(p);
  if (pr->fn != nullptr && *pr->fn && ultotal > 0) (*pr->fn)(ulnow, ultotal);
  return 0;
}

// Content-Type (when given) and Authorization (when not empty) headers.
curl_slist* Headers(const char* content_type, const std::string& authorization) {
  curl_slist* headers = nullptr;
  if (content_type != nullptr) {
    headers = curl_slist_append(headers, (std::string("Content-Type: ") + content_type).c_str());
  }
  if (!authorization.empty()) {
    headers = curl_slist_append(headers, ("Authorization: " + authorization).c_str());
  }
  return headers;
}

// Runs the prepared transfer, then frees `curl` and `headers`.
StatusOr<HttpResult> Perform(CURL* curl, const std::string& url, curl_slist* headers,
                             HttpResult result) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Status(ErrorCode::kTemporarilyUnavailable,
                  "cannot reach " + url + ": " + curl_easy_strerror(rc) +
                      " (is `mlws server` running? set --url or MLWS_URL)");
  }
  return result;
}

}  // namespace

StatusOr<HttpResult> HttpCall(const std::string& method, const std::string& url,
                              const std::string& body, const std::string& authorization,
                              long timeout_s, const std::vector<std::string>& extra_headers) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Internal("cannot initialise libcurl");
  HttpResult result;
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  // `result.body` is written through the pointer given above: perform in place.
  curl_slist* headers = Headers("application/json", authorization);
  for (const auto& h : extra_headers) headers = curl_slist_append(headers, h.c_str());
  auto r = Perform(curl, url, headers, HttpResult{});
  if (!r.ok()) return r;
  result.status = r->status;
  return result;
}

StatusOr<HttpResult> HttpUploadFile(
    const std::string& url, const std::string& file_path, const std::string& authorization,
    const std::function<void(std::int64_t, std::int64_t)>& progress) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(file_path.c_str(), "rb"), &std::fclose);
  if (!f) return Internal("cannot read " + file_path);
  std::fseek(f.get(), 0, SEEK_END);
  long size = std::ftell(f.get());
  std::fseek(f.get(), 0, SEEK_SET);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Internal("cannot initialise libcurl");
  HttpResult result;
  Progress pr{&progress};
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READDATA, f.get());
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &pr);
  auto r = Perform(curl, url, Headers("application/octet-stream", authorization), HttpResult{});
  if (!r.ok()) return r;
  result.status = r->status;
  return result;
}

StatusOr<HttpResult> HttpDownloadFile(const std::string& url, const std::string& dest_path,
                                      const std::string& authorization) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(dest_path.c_str(), "wb"), &std::fclose);
  if (!f) return Internal("cannot write " + dest_path);
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Internal("cannot initialise libcurl");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteFile);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, f.get());
  ASSIGN_OR_RETURN(HttpResult r, Perform(curl, url, Headers(nullptr, authorization), HttpResult{}));
  f.reset();
  if (r.status >= 400) {
    std::ifstream in(dest_path);
    r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::remove(dest_path.c_str());
  }
  return r;
}

}  // namespace mlws::cli
