#include "artifacts/s3/s3_blob_store.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "artifacts/blob_checks.h"
#include "artifacts/s3/parallel_get.h"
#include "artifacts/s3/s3_client.h"
#include "artifacts/s3/s3_xml.h"
#include "mlws/artifacts/artifact_store.h"

namespace mlws::artifacts {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

// "2024-01-02T03:04:05.000Z" or an RFC 1123 date, as ms since the epoch (0 when unparsable).
std::int64_t ParseTime(const std::string& s) {
  std::tm tm{};
  if (strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr &&
      strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) {
    return 0;
  }
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

// Whole-blob reads of at least kParallelGetMin bytes are ranged GETs of kGetPartSize on
// kParallelGets connections (parallel_get.h); smaller ones, and ranges, are one stream.
constexpr std::int64_t kParallelGetMin = 32LL << 20;
constexpr std::int64_t kGetPartSize = 8LL << 20;
constexpr int kParallelGets = 4;

// Pulls at most `limit` bytes from another reader (one part of a multipart upload).
class LimitedReader final : public BlobReader {
 public:
  LimitedReader(BlobReader& inner, std::int64_t limit) : inner_(inner), left_(limit) {}
  StatusOr<std::size_t> Read(char* buf, std::size_t cap) override {
    if (left_ <= 0) return std::size_t{0};
    ASSIGN_OR_RETURN(std::size_t n,
                     inner_.Read(buf, std::min<std::size_t>(cap, static_cast<std::size_t>(left_))));
    left_ -= static_cast<std::int64_t>(n);
    return n;
  }
  std::optional<std::int64_t> Size() const override { return left_; }

 private:
  BlobReader& inner_;
  std::int64_t left_;
};

class S3BlobStore final : public BlobStore {
 public:
  S3BlobStore(std::string uri, std::string prefix, S3Endpoint ep, const S3Options& o)
      : uri_(std::move(uri)),
        prefix_(std::move(prefix)),
        client_(std::move(ep)),
        threshold_(o.multipart_threshold),
        part_size_(std::max<std::int64_t>(o.part_size, 5LL << 20)) {}

  std::string Uri() const override { return uri_; }

  // Checks that the bucket answers with these credentials.
  Status Probe() {
    ASSIGN_OR_RETURN(
        S3Response r,
        client_.Call("GET", "", {{"list-type", "2"}, {"max-keys", "1"}, {"prefix", prefix_}}));
    if (r.status / 100 != 2) return S3Error(r, "bucket of " + uri_);
    return Status::Ok();
  }

  Status Put(const std::string& key, BlobReader& data) override {
    RETURN_IF_ERROR(CheckKey(key));
    std::optional<std::int64_t> size = data.Size();
    if (size && *size <= threshold_) return PutOnce(key, data, *size);
    if (size) return PutMultipart(key, data, *size);
    // Unknown length: S3 needs one per request, so parts are buffered (one at a time).
    std::string first;
    {
      LimitedReader part(data, part_size_);
      ASSIGN_OR_RETURN(first, ReadAll(part, static_cast<std::size_t>(part_size_)));
    }
    char probe;
    ASSIGN_OR_RETURN(std::size_t more, data.Read(&probe, 1));
    if (more == 0) {
      auto r = StringReader(std::move(first));
      return PutOnce(key, *r, static_cast<std::int64_t>(r->Size().value_or(0)));
    }
    ASSIGN_OR_RETURN(std::string id, CreateMultipart(key));
    std::vector<CompletedPart> parts;
    first.push_back(probe);
    Status st = [&]() -> Status {
      std::string buf = std::move(first);
      for (int n = 1;; ++n) {
        // Top the buffer up to a part.
        LimitedReader rest(data, part_size_ - static_cast<std::int64_t>(buf.size()));
        ASSIGN_OR_RETURN(std::string tail, ReadAll(rest, static_cast<std::size_t>(part_size_)));
        buf += tail;
        if (buf.empty()) break;
        auto r = StringReader(std::move(buf));
        ASSIGN_OR_RETURN(std::string etag, UploadPart(key, id, n, *r));
        parts.push_back({n, etag});
        buf.clear();
      }
      return CompleteMultipart(key, id, parts);
    }();
    if (!st.ok()) (void)AbortMultipart(key, id);
    return st;
  }

  Status PutFile(const std::string& key, const std::string& staged_file) override {
    RETURN_IF_ERROR(CheckKey(key));
    ASSIGN_OR_RETURN(auto reader, OpenFileReader(staged_file));
    std::int64_t size = reader->Size().value_or(0);
    Status st = size <= threshold_ ? PutOnce(key, *reader, size) : PutMultipart(key, *reader, size);
    if (st.ok()) {
      std::error_code ec;
      std::filesystem::remove(staged_file, ec);
    }
    return st;
  }

  StatusOr<std::unique_ptr<BlobReader>> Get(const std::string& key, ByteRange range) override {
    RETURN_IF_ERROR(CheckKey(key));
    if (range.offset < 0 || (range.length && *range.length < 0)) {
      return InvalidArgument("a byte range cannot be negative");
    }
    KeyValues headers;
    if (range.length && *range.length == 0) {
      RETURN_IF_ERROR(Stat(key).status());
      return StringReader("");
    }
    if (range.offset > 0 || range.length) {
      std::string r = "bytes=" + std::to_string(range.offset) + "-";
      if (range.length) r += std::to_string(range.offset + *range.length - 1);
      headers.emplace_back("range", r);
    }
    ASSIGN_OR_RETURN(auto stream, client_.OpenGet(Full(key), headers, What(key)));
    std::optional<std::int64_t> size = stream->Size();
    if (!headers.empty() || !size || *size < kParallelGetMin) return stream;
    // A large whole blob: the rest comes as ranges on a few connections at once (bounded
    // memory: kParallelGets parts of kGetPartSize), the first part from this stream.
    const std::string full = Full(key);
    auto fetch = [this, full, key](std::int64_t offset,
                                   std::int64_t length) -> StatusOr<std::string> {
      KeyValues range = {
          {"range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)}};
      ASSIGN_OR_RETURN(auto part, client_.OpenGet(full, range, What(key)));
      return ReadAll(*part, static_cast<std::size_t>(length));
    };
    return std::unique_ptr<BlobReader>(std::make_unique<ParallelGetReader>(
        std::move(stream), *size, std::move(fetch), kGetPartSize, kParallelGets));
  }

  StatusOr<BlobInfo> Stat(const std::string& key) override {
    RETURN_IF_ERROR(CheckKey(key));
    ASSIGN_OR_RETURN(S3Response r, client_.Call("HEAD", Full(key), {}));
    if (r.status / 100 != 2) return S3Error(r, What(key));
    BlobInfo info{key, std::atoll(r.Header("content-length").value_or("0").c_str()),
                  ParseTime(r.Header("last-modified").value_or(""))};
    return info;
  }

  StatusOr<BlobPage> List(const ListOptions& o) override {
    RETURN_IF_ERROR(CheckListOptions(o));
    KeyValues q = {{"list-type", "2"},
                   {"max-keys", std::to_string(o.max_keys)},
                   {"prefix", FullPrefix(o.prefix)}};
    if (o.delimited) q.emplace_back("delimiter", "/");
    if (!o.page_token.empty()) q.emplace_back("continuation-token", o.page_token);
    ASSIGN_OR_RETURN(S3Response r, client_.Call("GET", "", q));
    if (r.status / 100 != 2) return S3Error(r, "listing of '" + o.prefix + "' in " + uri_);
    BlobPage page;
    std::size_t strip = prefix_.empty() ? 0 : prefix_.size() + 1;
    for (auto block : s3xml::Blocks(r.body, "Contents")) {
      std::string key = s3xml::First(block, "Key");
      // "a/b/" objects are folder markers (some servers and consoles make them), not blobs.
      if (key.size() <= strip || key.back() == '/') continue;
      page.blobs.push_back({key.substr(strip), std::atoll(s3xml::First(block, "Size").c_str()),
                            ParseTime(s3xml::First(block, "LastModified"))});
    }
    for (auto block : s3xml::Blocks(r.body, "CommonPrefixes")) {
      std::string p = s3xml::First(block, "Prefix");
      if (p.size() > strip) page.prefixes.push_back(p.substr(strip));
    }
    std::sort(page.blobs.begin(), page.blobs.end(),
              [](const BlobInfo& a, const BlobInfo& b) { return a.key < b.key; });
    std::sort(page.prefixes.begin(), page.prefixes.end());
    if (s3xml::First(r.body, "IsTruncated") == "true") {
      page.next_page_token = s3xml::First(r.body, "NextContinuationToken");
    }
    return page;
  }

  Status Delete(const std::string& key) override {
    // S3 deletes are idempotent; the contract wants a missing blob reported.
    RETURN_IF_ERROR(Stat(key).status());
    ASSIGN_OR_RETURN(S3Response r, client_.Call("DELETE", Full(key), {}));
    if (r.status / 100 != 2) return S3Error(r, What(key));
    return Status::Ok();
  }

  StatusOr<std::int64_t> DeletePrefix(const std::string& prefix) override {
    if (prefix.size() < 2 || prefix.back() != '/') {
      return InvalidArgument("a prefix to delete must be a non-empty folder ending in '/'");
    }
    std::int64_t n = 0;
    ListOptions o;
    o.prefix = prefix;
    do {
      ASSIGN_OR_RETURN(BlobPage page, List(o));
      for (const auto& b : page.blobs) {
        ASSIGN_OR_RETURN(S3Response r, client_.Call("DELETE", Full(b.key), {}));
        if (r.status / 100 != 2) return S3Error(r, What(b.key));
        ++n;
      }
      o.page_token = page.next_page_token;
    } while (!o.page_token.empty());
    return n;
  }

  StatusOr<std::string> CreateMultipart(const std::string& key) override {
    RETURN_IF_ERROR(CheckKey(key));
    ASSIGN_OR_RETURN(S3Response r, client_.Call("POST", Full(key), {{"uploads", ""}}));
    if (r.status / 100 != 2) return S3Error(r, What(key));
    std::string id = s3xml::First(r.body, "UploadId");
    if (id.empty()) return Internal("S3 started an upload of " + What(key) + " without an id");
    return id;
  }

  StatusOr<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                   int part_number, BlobReader& data) override {
    RETURN_IF_ERROR(CheckKey(key));
    if (part_number < 1 || part_number > 10000) {
      return InvalidArgument("part numbers run from 1 to 10000");
    }
    if (upload_id.empty()) return NotFound("no multipart upload '' in progress");
    std::unique_ptr<BlobReader> buffered;
    BlobReader* body = &data;
    if (!data.Size()) {  // S3 needs the length up front
      ASSIGN_OR_RETURN(std::string all, ReadAll(data, 5LL << 30));
      buffered = StringReader(std::move(all));
      body = buffered.get();
    }
    ASSIGN_OR_RETURN(S3Response r, client_.Call("PUT", Full(key),
                                                {{"partNumber", std::to_string(part_number)},
                                                 {"uploadId", upload_id}},
                                                {}, body, *body->Size()));
    if (r.status / 100 != 2) return S3Error(r, "upload '" + upload_id + "' of " + What(key));
    std::string etag = r.Header("etag").value_or("");
    etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
    return etag;
  }

  Status CompleteMultipart(const std::string& key, const std::string& upload_id,
                           const std::vector<CompletedPart>& parts) override {
    RETURN_IF_ERROR(CheckKey(key));
    if (parts.empty()) return InvalidArgument("a multipart upload needs at least one part");
    int last = 0;
    std::string xml = "<CompleteMultipartUpload>";
    for (const auto& p : parts) {
      if (p.part_number <= last) {
        return InvalidArgument("parts must be listed in increasing part-number order");
      }
      last = p.part_number;
      xml += "<Part><PartNumber>" + std::to_string(p.part_number) + "</PartNumber><ETag>\"" +
             s3xml::Escape(p.etag) + "\"</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    ASSIGN_OR_RETURN(S3Response r,
                     client_.Call("POST", Full(key), {{"uploadId", upload_id}},
                                  {{"content-type", "application/xml"}}, nullptr, 0, xml));
    // S3 may answer 200 and still fail, with an <Error> body.
    if (r.status / 100 != 2 || r.body.find("<Error>") != std::string::npos) {
      if (r.status / 100 == 2) r.status = 400;
      return S3Error(r, "upload '" + upload_id + "' of " + What(key));
    }
    return Status::Ok();
  }

  bool SupportsPresignedParts() const override { return true; }

  StatusOr<std::string> PresignUploadPart(const std::string& key, const std::string& upload_id,
                                          int part_number, int expires_seconds) override {
    RETURN_IF_ERROR(CheckKey(key));
    if (part_number < 1 || part_number > 10000) {
      return InvalidArgument("part numbers run from 1 to 10000");
    }
    return client_.PresignedUrl(
        "PUT", Full(key), {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
        expires_seconds);
  }

  Status AbortMultipart(const std::string& key, const std::string& upload_id) override {
    RETURN_IF_ERROR(CheckKey(key));
    ASSIGN_OR_RETURN(S3Response r, client_.Call("DELETE", Full(key), {{"uploadId", upload_id}}));
    if (r.status / 100 != 2) return S3Error(r, "upload '" + upload_id + "' of " + What(key));
    return Status::Ok();
  }

 private:
  static Status CheckKey(const std::string& key) {
    if (key.empty() || key.back() == '/') return InvalidArgument("a blob key needs a file name");
    return ValidateArtifactPath(key);
  }
  std::string Full(const std::string& key) const {
    return prefix_.empty() ? key : prefix_ + "/" + key;
  }
  std::string FullPrefix(const std::string& p) const {
    return prefix_.empty() ? p : prefix_ + "/" + p;
  }
  static std::string What(const std::string& key) { return "blob '" + key + "'"; }

  Status PutOnce(const std::string& key, BlobReader& data, std::int64_t size) {
    ASSIGN_OR_RETURN(S3Response r, client_.Call("PUT", Full(key), {}, {}, &data, size));
    if (r.status / 100 != 2) return S3Error(r, What(key));
    return Status::Ok();
  }

  // A known-length body in part_size_ pieces, streamed (one part in flight, none in memory).
  Status PutMultipart(const std::string& key, BlobReader& data, std::int64_t size) {
    ASSIGN_OR_RETURN(std::string id, CreateMultipart(key));
    std::vector<CompletedPart> parts;
    Status st = [&]() -> Status {
      int n = 1;
      for (std::int64_t off = 0; off < size; off += part_size_, ++n) {
        LimitedReader part(data, std::min(part_size_, size - off));
        ASSIGN_OR_RETURN(std::string etag, UploadPart(key, id, n, part));
        parts.push_back({n, etag});
      }
      return CompleteMultipart(key, id, parts);
    }();
    if (!st.ok()) (void)AbortMultipart(key, id);
    return st;
  }

  const std::string uri_;
  const std::string prefix_;  // without leading or trailing '/'
  S3Client client_;
  const std::int64_t threshold_;
  const std::int64_t part_size_;
};

}  // namespace

StatusOr<std::unique_ptr<BlobStore>> OpenS3BlobStore(const std::string& uri,
                                                     const S3Options& options) {
  std::string rest = uri.substr(5);  // after "s3://"
  auto slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (bucket.empty() || bucket.find_first_of("@:?#") != std::string::npos) {
    return InvalidArgument("'" + uri + "' names no bucket: use s3://bucket/prefix");
  }
  RETURN_IF_ERROR(ValidateArtifactPath(prefix));
  S3Endpoint ep;
  ep.bucket = bucket;
  ep.region = !options.region.empty()              ? options.region
              : !Env("AWS_REGION").empty()         ? Env("AWS_REGION")
              : !Env("AWS_DEFAULT_REGION").empty() ? Env("AWS_DEFAULT_REGION")
                                                   : "us-east-1";
  std::string endpoint = !options.endpoint_url.empty()            ? options.endpoint_url
                         : !Env("MLFLOW_S3_ENDPOINT_URL").empty() ? Env("MLFLOW_S3_ENDPOINT_URL")
                                                                  : Env("AWS_ENDPOINT_URL");
  bool custom = !endpoint.empty();
  if (!custom) endpoint = "https://s3." + ep.region + ".amazonaws.com";
  auto sep = endpoint.find("://");
  if (sep == std::string::npos) {
    return InvalidArgument("S3 endpoint '" + endpoint + "' needs a scheme: http:// or https://");
  }
  ep.scheme = endpoint.substr(0, sep);
  if (ep.scheme != "http" && ep.scheme != "https") {
    return InvalidArgument("S3 endpoint '" + endpoint + "' must be http:// or https://");
  }
  ep.authority = endpoint.substr(sep + 3);
  while (!ep.authority.empty() && ep.authority.back() == '/') ep.authority.pop_back();
  if (ep.authority.empty() || ep.authority.find_first_of("/@?#") != std::string::npos) {
    return InvalidArgument("S3 endpoint '" + endpoint +
                           "' must be scheme://host[:port] with no path or user");
  }
  ep.path_style = options.path_style.value_or(custom);
  ep.creds.access_key_id =
      !options.access_key_id.empty() ? options.access_key_id : Env("AWS_ACCESS_KEY_ID");
  ep.creds.secret_access_key =
      !options.secret_access_key.empty() ? options.secret_access_key : Env("AWS_SECRET_ACCESS_KEY");
  ep.creds.session_token =
      !options.session_token.empty() ? options.session_token : Env("AWS_SESSION_TOKEN");
  if (ep.creds.access_key_id.empty() || ep.creds.secret_access_key.empty()) {
    return InvalidArgument("no S3 credentials for " + uri +
                           ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  ep.connect_timeout_ms = options.connect_timeout_ms;
  auto store = std::make_unique<S3BlobStore>(uri, prefix, std::move(ep), options);
  RETURN_IF_ERROR(store->Probe());
  return std::unique_ptr<BlobStore>(std::move(store));
}

}  // namespace mlws::artifacts
