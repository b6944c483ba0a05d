#include "artifacts/s3/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <thread>

#include "artifacts/s3/s3_xml.h"

namespace mlws::artifacts {

namespace {

constexpr std::size_t kMaxBufferedBody = 16 << 20;
constexpr std::size_t kMaxStreamAhead = 8 << 20;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "Name: value\r\n" into a lower-cased name and a trimmed value.
bool ParseHeaderLine(std::string_view line, std::pair<std::string, std::string>& out) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view v = line.substr(colon + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) {
    v.remove_suffix(1);
  }
  out = {Lower(line.substr(0, colon)), std::string(v)};
  return true;
}

// The one curl -> Status translation.
Status TransportError(CURLcode rc, const char* detail, const std::string& where) {
  std::string msg = "cannot reach the S3 endpoint " + where + ": " + curl_easy_strerror(rc);
  if (detail != nullptr && *detail != 0) msg += std::string(" (") + detail + ")";
  return Status(ErrorCode::kTemporarilyUnavailable, msg);
}

struct UploadState {
  BlobReader* reader = nullptr;
  Status status;
};

size_t ReadBody(char* buf, size_t size, size_t n, void* ud) {
  auto* st = static_cast<UploadState*>(ud);
  auto got = st->reader->Read(buf, size * n);
  if (!got.ok()) {
    st->status = got.status();
    return CURL_READFUNC_ABORT;
  }
  return *got;
}

size_t WriteBuffered(char* data, size_t size, size_t n, void* ud) {
  auto* r = static_cast<S3Response*>(ud);
  if (r->body.size() + size * n > kMaxBufferedBody) return 0;
  r->body.append(data, size * n);
  return size * n;
}

size_t HeaderBuffered(char* data, size_t size, size_t n, void* ud) {
  auto* r = static_cast<S3Response*>(ud);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) r->headers.clear();  // a new (final) response starts
  std::pair<std::string, std::string> kv;
  if (ParseHeaderLine(line, kv)) r->headers.push_back(std::move(kv));
  return size * n;
}

}  // namespace

std::optional<std::string> S3Response::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return std::nullopt;
}

Status S3Error(const S3Response& r, const std::string& what) {
  std::string code = s3xml::First(r.body, "Code");
  std::string message = s3xml::First(r.body, "Message");
  std::string detail = "S3 answered " + std::to_string(r.status) +
                       (code.empty() ? "" : " " + code) + (message.empty() ? "" : ": " + message);
  if (code == "NoSuchKey" || code == "NoSuchUpload" || (r.status == 404 && code.empty())) {
    return NotFound(what + " does not exist");
  }
  if (code == "NoSuchBucket")
    return NotFound(what + ": the bucket does not exist (" + detail + ")");
  if (code == "InvalidRange" || r.status == 416) return InvalidArgument(what + ": " + detail);
  if (code == "InvalidPart" || code == "InvalidPartOrder" || code == "EntityTooSmall" ||
      code == "MalformedXML") {
    return InvalidArgument(what + ": " + detail);
  }
  if (r.status == 401 || r.status == 403) {
    return Status(ErrorCode::kPermissionDenied, what + ": access refused, " + detail);
  }
  if (r.status >= 500) return Status(ErrorCode::kTemporarilyUnavailable, what + ": " + detail);
  return Internal(what + ": " + detail);
}

// A download: a transfer thread runs curl and queues the body; Read() takes from the queue.
// The queue holds at most kMaxStreamAhead bytes, so a slow reader pauses the transfer.
class S3Client::StreamReader final : public BlobReader {
 public:
  StreamReader(S3Client& client, void* curl) : client_(client), curl_(curl) {}
  ~StreamReader() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancelled_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void Start(curl_slist* headers) {
    headers_ = headers;
    CURL* c = static_cast<CURL*>(curl_);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &StreamReader::OnData);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &StreamReader::OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf_);
    thread_ = std::thread([this] { Run(); });
  }

  // Waits for the response headers; an HTTP error is read to its end and returned.
  Status AwaitHeaders(const std::string& what) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return headers_done_ || finished_; });
    if (!headers_done_) return TransportError(rc_, errbuf_, client_.Describe());
    if (response_.status >= 200 && response_.status < 300) return Status::Ok();
    cv_.wait(lock, [&] { return finished_; });
    return S3Error(response_, what);
  }

  StatusOr<std::size_t> Read(char* buf, std::size_t cap) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !chunks_.empty() || finished_; });
    if (chunks_.empty()) {
      if (rc_ != CURLE_OK) {
        return Status(ErrorCode::kTemporarilyUnavailable,
                      std::string("the download broke off: ") + curl_easy_strerror(rc_));
      }
      return std::size_t{0};
    }
    std::string& front = chunks_.front();
    std::size_t n = std::min(cap, front.size() - front_pos_);
    std::memcpy(buf, front.data() + front_pos_, n);
    front_pos_ += n;
    buffered_ -= n;
    if (front_pos_ == front.size()) {
      chunks_.pop_front();
      front_pos_ = 0;
    }
    lock.unlock();
    cv_.notify_all();
    return n;
  }

  std::optional<std::int64_t> Size() const override { return length_; }

 private:
  void Run() {
    CURLcode rc = curl_easy_perform(static_cast<CURL*>(curl_));
    curl_slist_free_all(headers_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      rc_ = rc;
      finished_ = true;
      if (rc == CURLE_WRITE_ERROR && cancelled_) rc_ = CURLE_OK;
    }
    cv_.notify_all();
    if (rc == CURLE_OK) {
      client_.Release(curl_);
    } else {
      curl_easy_cleanup(static_cast<CURL*>(curl_));
    }
  }

  static size_t OnHeader(char* data, size_t size, size_t n, void* ud) {
    auto* self = static_cast<StreamReader*>(ud);
    std::string_view line(data, size * n);
    std::lock_guard<std::mutex> lock(self->mu_);
    if (line.rfind("HTTP/", 0) == 0) self->response_.headers.clear();
    std::pair<std::string, std::string> kv;
    if (ParseHeaderLine(line, kv)) {
      if (kv.first == "content-length") self->length_ = std::atoll(kv.second.c_str());
      self->response_.headers.push_back(std::move(kv));
    } else if (line == "\r\n" || line == "\n") {
      long code = 0;
      curl_easy_getinfo(static_cast<CURL*>(self->curl_), CURLINFO_RESPONSE_CODE, &code);
      if (code >= 200) {
        self->response_.status = code;
        self->headers_done_ = true;
        self->cv_.notify_all();
      }
    }
    return size * n;
  }

  static size_t OnData(char* data, size_t size, size_t n, void* ud) {
    auto* self = static_cast<StreamReader*>(ud);
    std::unique_lock<std::mutex> lock(self->mu_);
    if (self->response_.status < 200 || self->response_.status >= 300) {
      if (self->response_.body.size() < 65536) self->response_.body.append(data, size * n);
      return size * n;
    }
    self->cv_.wait(lock, [&] { return self->buffered_ < kMaxStreamAhead || self->cancelled_; });
    if (self->cancelled_) return 0;
    self->chunks_.emplace_back(data, size * n);
    self->buffered_ += size * n;
    lock.unlock();
    self->cv_.notify_all();
    return size * n;
  }

  S3Client& client_;
  void* curl_;
  curl_slist* headers_ = nullptr;
  char errbuf_[CURL_ERROR_SIZE] = {0};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  // All below guarded by mu_.
  S3Response response_;
  std::optional<std::int64_t> length_;
  std::deque<std::string> chunks_;
  std::size_t front_pos_ = 0;
  std::size_t buffered_ = 0;
  bool headers_done_ = false;
  bool finished_ = false;
  bool cancelled_ = false;
  CURLcode rc_ = CURLE_OK;
};

S3Client::S3Client(S3Endpoint endpoint) : ep_(std::move(endpoint)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

S3Client::~S3Client() {
  for (void* c : idle_) curl_easy_cleanup(static_cast<CURL*>(c));
}

std::string S3Client::Describe() const {
  return ep_.scheme + "://" + ep_.authority + (ep_.path_style ? "/" + ep_.bucket : "");
}

std::string S3Client::Host() const {
  return ep_.path_style ? ep_.authority : ep_.bucket + "." + ep_.authority;
}

std::string S3Client::Path(const std::string& key) const {
  if (ep_.path_style) return "/" + ep_.bucket + (key.empty() ? "" : "/" + key);
  return "/" + key;
}

void* S3Client::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      void* c = idle_.back();
      idle_.pop_back();
      curl_easy_reset(static_cast<CURL*>(c));
      return c;
    }
  }
  return curl_easy_init();
}

void S3Client::Release(void* curl) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < 16) {
    idle_.push_back(curl);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(curl));
  }
}

namespace {

// Options every request shares; returns the header list to free after the transfer.
curl_slist* Prepare(CURL* c, const std::string& method, const std::string& url,
                    const KeyValues& signed_headers, long connect_timeout_ms) {
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
  // A server that stops sending for a minute is gone; no transfer hangs for ever.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_slist* list = curl_slist_append(nullptr, "Expect:");
  for (const auto& [k, v] : signed_headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  return list;
}

}  // namespace

StatusOr<S3Response> S3Client::Call(const std::string& method, const std::string& key,
                                    const KeyValues& query, const KeyValues& headers,
                                    BlobReader* upload, std::int64_t upload_size,
                                    const std::string& body) {
  sigv4::Request sreq;
  sreq.method = method;
  sreq.path = Path(key);
  sreq.query = query;
  sreq.headers = headers;
  sreq.headers.emplace_back("host", Host());
  auto signed_headers =
      sigv4::Sign(sreq, ep_.creds, ep_.region, "s3",
                  sigv4::AmzDateNow(ep_.env != nullptr ? *ep_.env : *Env::Default()));
  std::string qs = sigv4::CanonicalQuery(query);
  std::string url = ep_.scheme + "://" + Host() + sigv4::UriEncode(sreq.path, true) +
                    (qs.empty() ? "" : "?" + qs);
  CURL* c = static_cast<CURL*>(Acquire());
  if (c == nullptr) return Internal("cannot create a curl handle");
  curl_slist* list = Prepare(c, method, url, signed_headers, ep_.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  UploadState up;
  if (upload != nullptr) {
    up.reader = upload;
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadBody);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload_size));
    if (method != "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  } else if (method == "POST" || method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  S3Response resp;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBuffered);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &HeaderBuffered);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    curl_easy_cleanup(c);
    if (!up.status.ok()) return up.status;
    return TransportError(rc, errbuf, Describe());
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  Release(c);
  return resp;
}

StatusOr<std::unique_ptr<BlobReader>> S3Client::OpenGet(const std::string& key,
                                                        const KeyValues& headers,
                                                        const std::string& what) {
  sigv4::Request sreq;
  sreq.method = "GET";
  sreq.path = Path(key);
  sreq.headers = headers;
  sreq.headers.emplace_back("host", Host());
  auto signed_headers =
      sigv4::Sign(sreq, ep_.creds, ep_.region, "s3",
                  sigv4::AmzDateNow(ep_.env != nullptr ? *ep_.env : *Env::Default()));
  std::string url = ep_.scheme + "://" + Host() + sigv4::UriEncode(sreq.path, true);
  CURL* c = static_cast<CURL*>(Acquire());
  if (c == nullptr) return Internal("cannot create a curl handle");
  curl_slist* list = Prepare(c, "GET", url, signed_headers, ep_.connect_timeout_ms);
  auto reader = std::make_unique<StreamReader>(*this, c);
  reader->Start(list);
  RETURN_IF_ERROR(reader->AwaitHeaders(what));
  return std::unique_ptr<BlobReader>(std::move(reader));
}

std::string S3Client::PresignedUrl(const std::string& method, const std::string& key,
                                   const KeyValues& query, int expires_seconds) const {
  sigv4::Request sreq;
  sreq.method = method;
  sreq.path = Path(key);
  sreq.query = query;
  sreq.headers = {{"host", Host()}};
  return ep_.scheme + "://" + Host() + sigv4::UriEncode(sreq.path, true) + "?" +
         sigv4::PresignQuery(sreq, ep_.creds, ep_.region, "s3",
                             sigv4::AmzDateNow(ep_.env != nullptr ? *ep_.env : *Env::Default()),
                             expires_seconds);
}

}  // namespace mlws::artifacts
