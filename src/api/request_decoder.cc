#include "mlws/api/request_decoder.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "mlws/common/json.h"

namespace mlws::api {

using nlohmann::json;

namespace {
// Renders a (possibly invalid UTF-8) value for an error message without throwing.
std::string SafeDump(const json& v) {
  std::string out = DumpJson(v);
  if (out.size() > 200) out = out.substr(0, 200) + "...";
  return out;
}
}  // namespace

struct RequestDecoder::Impl {
  bool from_query = false;
  json body = json::object();
  std::multimap<std::string, std::string> query;
};

RequestDecoder::RequestDecoder() : impl_(new Impl) {}
RequestDecoder::~RequestDecoder() { delete impl_; }
RequestDecoder::RequestDecoder(RequestDecoder&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
RequestDecoder& RequestDecoder::operator=(RequestDecoder&& o) noexcept {
  std::swap(impl_, o.impl_);
  return *this;
}

Status MissingParameter(const std::string& name) {
  return InvalidArgument("Missing value for required parameter '" + name +
                         "'. See the API docs for more information about request parameters.");
}

StatusOr<RequestDecoder> RequestDecoder::From(const http::Request& req) {
  RequestDecoder d;
  if (req.method == "GET" || req.method == "HEAD") {
    d.impl_->from_query = true;
    d.impl_->query = req.query;
    return d;
  }
  bool blank = req.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (blank) {
    // Some clients send DELETE parameters as a query string.
    d.impl_->from_query = !req.query.empty();
    d.impl_->query = req.query;
    return d;
  }
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return BadRequest("Malformed JSON in the request body");
  if (!j.is_object()) return BadRequest("The request body must be a JSON object");
  d.impl_->body = std::move(j);
  return d;
}

bool RequestDecoder::Has(const std::string& name) const {
  if (impl_->from_query) return impl_->query.count(name) > 0;
  auto it = impl_->body.find(name);
  return it != impl_->body.end() && !it->is_null();
}

const json& RequestDecoder::Json(const std::string& name) const {
  static const json kNull;
  if (impl_->from_query) return kNull;
  auto it = impl_->body.find(name);
  return it == impl_->body.end() ? kNull : *it;
}

StatusOr<std::string> JsonToString(const json& v, const std::string& what) {
  if (v.is_string()) return v.get<std::string>();
  return InvalidArgument("Invalid value " + SafeDump(v) + " for parameter '" + what +
                         "' supplied: expected a string");
}

StatusOr<std::int64_t> JsonToInt64(const json& v, const std::string& what) {
  if (v.is_number_unsigned() &&
      v.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return InvalidArgument("Invalid value " + SafeDump(v) + " for parameter '" + what +
                           "' supplied: out of the int64 range");
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
      return static_cast<std::int64_t>(d);
    }
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    std::int64_t out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
  }
  return InvalidArgument("Invalid value " + SafeDump(v) + " for parameter '" + what +
                         "' supplied: expected an integer");
}

StatusOr<double> JsonToDouble(const json& v, const std::string& what) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    double out = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
  }
  return InvalidArgument("Invalid value " + SafeDump(v) + " for parameter '" + what +
                         "' supplied: expected a number");
}

StatusOr<std::optional<std::string>> RequestDecoder::OptionalString(const std::string& name) const {
  if (impl_->from_query) {
    auto it = impl_->query.find(name);
    if (it == impl_->query.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  const json& v = Json(name);
  if (v.is_null()) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string s, JsonToString(v, name));
  return std::optional<std::string>(std::move(s));
}

StatusOr<std::string> RequestDecoder::RequiredString(const std::string& name) const {
  ASSIGN_OR_RETURN(auto v, OptionalString(name));
  if (!v || v->empty()) return MissingParameter(name);
  return *v;
}

StatusOr<std::optional<std::int64_t>> RequestDecoder::OptionalInt(const std::string& name) const {
  if (impl_->from_query) {
    auto it = impl_->query.find(name);
    if (it == impl_->query.end() || it->second.empty()) return std::optional<std::int64_t>();
    ASSIGN_OR_RETURN(std::int64_t v, JsonToInt64(json(it->second), name));
    return std::optional<std::int64_t>(v);
  }
  const json& v = Json(name);
  if (v.is_null()) return std::optional<std::int64_t>();
  ASSIGN_OR_RETURN(std::int64_t i, JsonToInt64(v, name));
  return std::optional<std::int64_t>(i);
}

StatusOr<std::optional<bool>> RequestDecoder::OptionalBool(const std::string& name) const {
  if (impl_->from_query) {
    auto it = impl_->query.find(name);
    if (it == impl_->query.end()) return std::optional<bool>();
    if (it->second == "true" || it->second == "True" || it->second == "1")
      return std::optional<bool>(true);
    if (it->second == "false" || it->second == "False" || it->second == "0")
      return std::optional<bool>(false);
    return InvalidArgument("Invalid value '" + it->second + "' for parameter '" + name +
                           "': expected true or false");
  }
  const json& v = Json(name);
  if (v.is_null()) return std::optional<bool>();
  if (!v.is_boolean()) {
    return InvalidArgument("Invalid value " + SafeDump(v) + " for parameter '" + name +
                           "': expected a boolean");
  }
  return std::optional<bool>(v.get<bool>());
}

StatusOr<std::vector<std::string>> RequestDecoder::StringList(const std::string& name) const {
  std::vector<std::string> out;
  if (impl_->from_query) {
    auto [b, e] = impl_->query.equal_range(name);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
    return out;
  }
  const json& v = Json(name);
  if (v.is_null()) return out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
    return out;
  }
  if (!v.is_array()) {
    return InvalidArgument("Invalid value " + SafeDump(v) + " for parameter '" + name +
                           "': expected a list of strings");
  }
  for (const auto& e : v) {
    ASSIGN_OR_RETURN(std::string s, JsonToString(e, name));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace mlws::api
