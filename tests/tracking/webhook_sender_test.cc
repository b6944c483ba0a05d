// WebhookSender: MLflow 3's signature (checked against Python's hmac/base64) and the bounded
// queue (a full queue refuses at once and counts the drop).
#include "mlws/tracking/webhook_sender.h"

#include <gtest/gtest.h>

namespace mlws::tracking {
namespace {

TEST(WebhookSenderTest, SignatureIsMlflowsHmacSha256) {
  // python: "v1," + b64encode(hmac.new(b"whsec", b'd-1.1700000000.{"a":1}', sha256).digest())
  EXPECT_EQ(WebhookSender::Signature("whsec", "d-1", "1700000000", R"({"a":1})"),
            "v1,lfgwuxi7VfLFpEfOs47qtOLXDhvghvmJm8flIv6Ie6g=");
}

TEST(WebhookSenderTest, FullQueueDropsAndCounts) {
  WebhookSender::Options o;
  o.queue_capacity = 0;
  WebhookSender sender(o);
  EXPECT_FALSE(sender.Enqueue({"http://127.0.0.1:1/x", "s", "MODEL_VERSION", "CREATED", {}}));
  EXPECT_FALSE(sender.Enqueue({"http://127.0.0.1:1/x", "s", "MODEL_VERSION", "CREATED", {}}));
  std::string m = sender.RenderMetrics();
  EXPECT_NE(m.find("mlws_webhook_dropped_total 2\n"), std::string::npos) << m;
  EXPECT_NE(m.find("mlws_webhook_deliveries_total 0\n"), std::string::npos) << m;
}

TEST(WebhookSenderTest, UnreachableHostIsATransportError) {
  WebhookSender sender(WebhookSender::Options{});
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  WebhookAttempt a = sender.SendNow({"http://127.0.0.1:1/x", "", "PROMPT", "CREATED", {}});
  EXPECT_FALSE(a.status.has_value());
  EXPECT_FALSE(a.error.empty());
}

}  // namespace
}  // namespace mlws::tracking
