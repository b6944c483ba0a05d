#include "api/handlers.h"

namespace mlws::api {

http::Response Health(ApiContext&, http::Request&) { return http::TextResponse("OK"); }

// MLflow clients read /version as the server's MLflow version; mlws reports the MLflow API
// version it is compatible with, and its own version in a header.
http::Response Version(ApiContext& ctx, http::Request&) {
  auto r = http::TextResponse("2.17.2");
  r.headers.emplace_back("X-Mlws-Version", ctx.version);
  return r;
}

http::Response PrometheusMetrics(ApiContext& ctx, http::Request&) {
  std::string text = ctx.metrics.Render();
  if (ctx.endpoints != nullptr) text += ctx.endpoints->PrometheusText();
  auto r = http::TextResponse(std::move(text));
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace mlws::api
