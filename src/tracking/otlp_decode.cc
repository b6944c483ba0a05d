// OTLP trace export bodies: a protobuf wire-format reader for the handful of messages mlws keeps
// (see mlws/tracking/otlp.h for the fields) and the OTLP JSON form of the same messages.
#include <openssl/evp.h>

#include <cstring>

#include "mlws/tracking/otlp.h"

namespace mlws::tracking {

using json = nlohmann::ordered_json;  // attribute values keep their order

namespace {

Status Malformed(std::string_view why) {
  return InvalidArgument("Invalid OpenTelemetry format: " + std::string(why));
}

// ---- protobuf wire format ---------------------------------------------------------------------

// One message's bytes; Next() yields its fields in order.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  struct Field {
    std::uint32_t number = 0;
    int wire = 0;
    std::uint64_t varint = 0;  // wire 0, 1 (fixed64) and 5 (fixed32)
    std::string_view bytes;    // wire 2
  };

  Status Next(Field& f) {
    std::uint64_t key = 0;
    RETURN_IF_ERROR(Varint(key));
    f.number = static_cast<std::uint32_t>(key >> 3);
    f.wire = static_cast<int>(key & 7);
    if (f.number == 0 || key >> 32 != 0) return Malformed("bad field number");
    switch (f.wire) {
      case 0: return Varint(f.varint);
      case 1: return Fixed(8, f.varint);
      case 5: return Fixed(4, f.varint);
      case 2: {
        std::uint64_t len = 0;
        RETURN_IF_ERROR(Varint(len));
        if (len > data_.size() - pos_) return Malformed("truncated field");
        f.bytes = data_.substr(pos_, static_cast<size_t>(len));
        pos_ += static_cast<size_t>(len);
        return Status::Ok();
      }
      default: return Malformed("unsupported wire type");
    }
  }

 private:
  Status Varint(std::uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Malformed("truncated varint");
      auto b = static_cast<std::uint8_t>(data_[pos_++]);
      out |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return Status::Ok();
    }
    return Malformed("varint too long");
  }
  Status Fixed(size_t n, std::uint64_t& out) {
    if (data_.size() - pos_ < n) return Malformed("truncated fixed field");
    out = 0;
    for (size_t i = 0; i < n; ++i) {
      out |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += n;
    return Status::Ok();
  }
  std::string_view data_;
  size_t pos_ = 0;
};

Status Want(const Reader::Field& f, int wire) {
  return f.wire == wire ? Status::Ok() : Malformed("unexpected wire type");
}

// Calls fn(bytes) for each embedded message in field `number` of `data`; other fields skipped.
template <typename Fn>
Status EachMessage(std::string_view data, std::uint32_t number, Fn&& fn) {
  Reader r(data);
  while (!r.done()) {
    Reader::Field f;
    RETURN_IF_ERROR(r.Next(f));
    if (f.number != number) continue;
    RETURN_IF_ERROR(Want(f, 2));
    RETURN_IF_ERROR(fn(f.bytes));
  }
  return Status::Ok();
}

StatusOr<json> DecodeAnyValue(std::string_view data, int depth);

// KeyValue {key = 1; value = 2} -> (key, value)
Status DecodeKeyValue(std::string_view data, int depth, json& into) {
  Reader r(data);
  std::string key;
  json value;
  while (!r.done()) {
    Reader::Field f;
    RETURN_IF_ERROR(r.Next(f));
    if (f.number == 1) {
      RETURN_IF_ERROR(Want(f, 2));
      key = std::string(f.bytes);
    } else if (f.number == 2) {
      RETURN_IF_ERROR(Want(f, 2));
      ASSIGN_OR_RETURN(value, DecodeAnyValue(f.bytes, depth + 1));
    }
  }
  into[key] = std::move(value);
  return Status::Ok();
}

StatusOr<json> DecodeAnyValue(std::string_view data, int depth) {
  if (depth > kMaxOtlpValueDepth) return Malformed("attribute value nested too deeply");
  Reader r(data);
  json out;
  while (!r.done()) {
    Reader::Field f;
    RETURN_IF_ERROR(r.Next(f));
    switch (f.number) {
      case 1:
      case 7:
        RETURN_IF_ERROR(Want(f, 2));
        out = f.number == 1 ? json(std::string(f.bytes)) : json(Base64Encode(f.bytes));
        break;
      case 2:
        RETURN_IF_ERROR(Want(f, 0));
        out = f.varint != 0;
        break;
      case 3:
        RETURN_IF_ERROR(Want(f, 0));
        out = static_cast<std::int64_t>(f.varint);
        break;
      case 4: {
        RETURN_IF_ERROR(Want(f, 1));
        double d;
        std::memcpy(&d, &f.varint, sizeof d);
        out = d;
        break;
      }
      case 5:
      case 6: {  // ArrayValue / KeyValueList {repeated ... values = 1}
        RETURN_IF_ERROR(Want(f, 2));
        out = f.number == 5 ? json::array() : json::object();
        RETURN_IF_ERROR(EachMessage(f.bytes, 1, [&](std::string_view item) -> Status {
          if (f.number == 6) return DecodeKeyValue(item, depth + 1, out);
          ASSIGN_OR_RETURN(json v, DecodeAnyValue(item, depth + 1));
          out.push_back(std::move(v));
          return Status::Ok();
        }));
        break;
      }
      default: break;
    }
  }
  return out;
}

Status DecodeEvent(std::string_view data, OtlpEvent& e) {
  Reader r(data);
  while (!r.done()) {
    Reader::Field f;
    RETURN_IF_ERROR(r.Next(f));
    if (f.number == 1) {
      RETURN_IF_ERROR(Want(f, 1));
      e.time_unix_nano = f.varint;
    } else if (f.number == 2) {
      RETURN_IF_ERROR(Want(f, 2));
      e.name = std::string(f.bytes);
    } else if (f.number == 3) {
      RETURN_IF_ERROR(Want(f, 2));
      RETURN_IF_ERROR(DecodeKeyValue(f.bytes, 0, e.attributes));
    }
  }
  return Status::Ok();
}

Status DecodeSpan(std::string_view data, OtlpSpan& s) {
  Reader r(data);
  while (!r.done()) {
    Reader::Field f;
    RETURN_IF_ERROR(r.Next(f));
    switch (f.number) {
      case 1:
      case 2:
      case 4:
      case 5: {
        RETURN_IF_ERROR(Want(f, 2));
        std::string& dst = f.number == 1   ? s.trace_id
                           : f.number == 2 ? s.span_id
                           : f.number == 4 ? s.parent_span_id
                                           : s.name;
        dst = std::string(f.bytes);
        break;
      }
      case 7:
      case 8:
        RETURN_IF_ERROR(Want(f, 1));
        (f.number == 7 ? s.start_time_unix_nano : s.end_time_unix_nano) = f.varint;
        break;
      case 9:
        RETURN_IF_ERROR(Want(f, 2));
        RETURN_IF_ERROR(DecodeKeyValue(f.bytes, 0, s.attributes));
        break;
      case 11: {
        RETURN_IF_ERROR(Want(f, 2));
        OtlpEvent e;
        RETURN_IF_ERROR(DecodeEvent(f.bytes, e));
        s.events.push_back(std::move(e));
        break;
      }
      case 15: {
        RETURN_IF_ERROR(Want(f, 2));
        Reader st(f.bytes);
        while (!st.done()) {
          Reader::Field g;
          RETURN_IF_ERROR(st.Next(g));
          if (g.number == 2) {
            RETURN_IF_ERROR(Want(g, 2));
            s.status_message = std::string(g.bytes);
          } else if (g.number == 3) {
            RETURN_IF_ERROR(Want(g, 0));
            s.status_code = static_cast<int>(g.varint & 0x7fffffff);
          }
        }
        break;
      }
      default: break;
    }
  }
  return Status::Ok();
}

// The trace/span id checks and the span count bound, shared by both encodings.
Status CheckSpan(const OtlpSpan& s, size_t count) {
  if (count >= kMaxOtlpSpans) {
    return Malformed("more than " + std::to_string(kMaxOtlpSpans) + " spans in one request");
  }
  if (s.trace_id.size() != 16) return Malformed("a span's trace_id must be 16 bytes");
  if (s.span_id.size() != 8) return Malformed("a span's span_id must be 8 bytes");
  if (!s.parent_span_id.empty() && s.parent_span_id.size() != 8) {
    return Malformed("a span's parent_span_id must be 8 bytes");
  }
  return Status::Ok();
}

std::string ServiceName(const json& resource_attrs) {
  auto it = resource_attrs.find("service.name");
  return it != resource_attrs.end() && it->is_string() ? it->get<std::string>() : "";
}

// ---- OTLP JSON --------------------------------------------------------------------------------

const json* Key(const json& obj, const char* camel, const char* snake) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(camel);
  if (it == obj.end()) it = obj.find(snake);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

const json& List(const json& obj, const char* camel, const char* snake) {
  static const json kEmpty = json::array();
  const json* v = Key(obj, camel, snake);
  return v && v->is_array() ? *v : kEmpty;
}

StatusOr<std::string> HexId(const json* v) {
  if (!v) return std::string();
  if (!v->is_string()) return Malformed("ids must be hex strings");
  const std::string& h = v->get_ref<const std::string&>();
  if (h.size() % 2 != 0) return Malformed("ids must be hex strings");
  std::string out;
  for (size_t i = 0; i < h.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nib(h[i]), lo = nib(h[i + 1]);
    if (hi < 0 || lo < 0) return Malformed("ids must be hex strings");
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// A 64-bit integer written as a JSON number or a decimal string.
StatusOr<std::uint64_t> U64(const json* v) {
  if (!v) return std::uint64_t{0};
  if (v->is_number_unsigned()) return v->get<std::uint64_t>();
  if (v->is_number_integer()) return static_cast<std::uint64_t>(v->get<std::int64_t>());
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (s.empty() || s.size() > 20) return Malformed("bad integer");
    std::uint64_t out = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return Malformed("bad integer");
      out = out * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return out;
  }
  return Malformed("bad integer");
}

StatusOr<json> JsonAnyValue(const json& v, int depth);

Status JsonKeyValues(const json& list, int depth, json& into) {
  if (!list.is_array()) return Malformed("attributes must be a list");
  for (const json& kv : list) {
    const json* key = Key(kv, "key", "key");
    if (!key || !key->is_string()) return Malformed("an attribute needs a string key");
    const json* value = Key(kv, "value", "value");
    json decoded;
    if (value) {
      ASSIGN_OR_RETURN(decoded, JsonAnyValue(*value, depth + 1));
    }
    into[key->get<std::string>()] = std::move(decoded);
  }
  return Status::Ok();
}

StatusOr<json> JsonAnyValue(const json& v, int depth) {
  if (depth > kMaxOtlpValueDepth) return Malformed("attribute value nested too deeply");
  if (!v.is_object()) return Malformed("an attribute value must be an object");
  if (const json* s = Key(v, "stringValue", "string_value")) {
    if (!s->is_string()) return Malformed("stringValue must be a string");
    return *s;
  }
  if (const json* b = Key(v, "boolValue", "bool_value")) {
    if (!b->is_boolean()) return Malformed("boolValue must be a boolean");
    return *b;
  }
  if (const json* i = Key(v, "intValue", "int_value")) {
    ASSIGN_OR_RETURN(std::uint64_t u, U64(i));
    return json(static_cast<std::int64_t>(u));
  }
  if (const json* d = Key(v, "doubleValue", "double_value")) {
    if (!d->is_number()) return Malformed("doubleValue must be a number");
    return json(d->get<double>());
  }
  if (const json* bytes = Key(v, "bytesValue", "bytes_value")) {
    if (!bytes->is_string()) return Malformed("bytesValue must be a string");
    return *bytes;  // already base64 in JSON
  }
  if (const json* a = Key(v, "arrayValue", "array_value")) {
    json out = json::array();
    for (const json& item : List(*a, "values", "values")) {
      ASSIGN_OR_RETURN(json x, JsonAnyValue(item, depth + 1));
      out.push_back(std::move(x));
    }
    return out;
  }
  if (const json* kv = Key(v, "kvlistValue", "kvlist_value")) {
    json out = json::object();
    RETURN_IF_ERROR(JsonKeyValues(List(*kv, "values", "values"), depth + 1, out));
    return out;
  }
  return json();
}

Status JsonSpan(const json& j, OtlpSpan& s) {
  if (!j.is_object()) return Malformed("a span must be an object");
  ASSIGN_OR_RETURN(s.trace_id, HexId(Key(j, "traceId", "trace_id")));
  ASSIGN_OR_RETURN(s.span_id, HexId(Key(j, "spanId", "span_id")));
  ASSIGN_OR_RETURN(s.parent_span_id, HexId(Key(j, "parentSpanId", "parent_span_id")));
  if (const json* n = Key(j, "name", "name")) {
    if (!n->is_string()) return Malformed("a span's name must be a string");
    s.name = n->get<std::string>();
  }
  ASSIGN_OR_RETURN(s.start_time_unix_nano,
                   U64(Key(j, "startTimeUnixNano", "start_time_unix_nano")));
  ASSIGN_OR_RETURN(s.end_time_unix_nano, U64(Key(j, "endTimeUnixNano", "end_time_unix_nano")));
  RETURN_IF_ERROR(JsonKeyValues(List(j, "attributes", "attributes"), 0, s.attributes));
  for (const json& ej : List(j, "events", "events")) {
    OtlpEvent e;
    if (const json* n = Key(ej, "name", "name"); n && n->is_string())
      e.name = n->get<std::string>();
    ASSIGN_OR_RETURN(e.time_unix_nano, U64(Key(ej, "timeUnixNano", "time_unix_nano")));
    RETURN_IF_ERROR(JsonKeyValues(List(ej, "attributes", "attributes"), 0, e.attributes));
    s.events.push_back(std::move(e));
  }
  if (const json* st = Key(j, "status", "status")) {
    if (const json* m = Key(*st, "message", "message"); m && m->is_string()) {
      s.status_message = m->get<std::string>();
    }
    if (const json* c = Key(*st, "code", "code")) {
      if (c->is_number_integer()) {
        s.status_code = c->get<int>();
      } else if (c->is_string()) {
        const std::string& name = c->get_ref<const std::string&>();
        s.status_code = name == "STATUS_CODE_OK" ? 1 : name == "STATUS_CODE_ERROR" ? 2 : 0;
      }
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<OtlpSpan>> DecodeOtlpProtobuf(std::string_view body) {
  std::vector<OtlpSpan> out;
  RETURN_IF_ERROR(EachMessage(body, 1, [&](std::string_view resource_spans) -> Status {
    // ResourceSpans: the resource may come after its scope spans on the wire.
    json resource_attrs = json::object();
    size_t first = out.size();
    RETURN_IF_ERROR(EachMessage(resource_spans, 1, [&](std::string_view resource) {
      return EachMessage(
          resource, 1, [&](std::string_view kv) { return DecodeKeyValue(kv, 0, resource_attrs); });
    }));
    RETURN_IF_ERROR(EachMessage(resource_spans, 2, [&](std::string_view scope_spans) {
      return EachMessage(scope_spans, 2, [&](std::string_view span) -> Status {
        OtlpSpan s;
        RETURN_IF_ERROR(DecodeSpan(span, s));
        RETURN_IF_ERROR(CheckSpan(s, out.size()));
        out.push_back(std::move(s));
        return Status::Ok();
      });
    }));
    std::string service = ServiceName(resource_attrs);
    for (size_t i = first; i < out.size(); ++i) out[i].service_name = service;
    return Status::Ok();
  }));
  return out;
}

StatusOr<std::vector<OtlpSpan>> DecodeOtlpJson(std::string_view body) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Malformed("the body is not a JSON object");
  std::vector<OtlpSpan> out;
  for (const json& rs : List(doc, "resourceSpans", "resource_spans")) {
    json resource_attrs = json::object();
    if (const json* res = Key(rs, "resource", "resource")) {
      RETURN_IF_ERROR(JsonKeyValues(List(*res, "attributes", "attributes"), 0, resource_attrs));
    }
    std::string service = ServiceName(resource_attrs);
    for (const json& ss : List(rs, "scopeSpans", "scope_spans")) {
      for (const json& sj : List(ss, "spans", "spans")) {
        OtlpSpan s;
        RETURN_IF_ERROR(JsonSpan(sj, s));
        RETURN_IF_ERROR(CheckSpan(s, out.size()));
        s.service_name = service;
        out.push_back(std::move(s));
      }
    }
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace mlws::tracking
