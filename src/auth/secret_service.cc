#include "mlws/auth/secret_service.h"

#include <cctype>

#include "mlws/common/ids.h"

namespace mlws::auth {

namespace {

constexpr size_t kMaxValue = 64 * 1024;

Status ValidateSecretName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128 &&
            (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') ok = false;
  }
  if (!ok) {
    return InvalidArgument("Invalid secret name '" + name.substr(0, 100) +
                           "': use letters, digits, '_' or '-', starting with a letter or '_' "
                           "(at most 128).");
  }
  return Status::Ok();
}

// Binds a ciphertext to its row.
std::string Associated(std::int64_t workspace_id, const std::string& name) {
  return "mlws-secret:" + std::to_string(workspace_id) + "/" + name;
}

}  // namespace

Status SecretService::Set(std::int64_t workspace_id, const std::string& name,
                          const std::string& value) {
  RETURN_IF_ERROR(ValidateSecretName(name));
  if (value.size() > kMaxValue) return InvalidArgument("Secret values are limited to 64 KiB.");
  Sealed sealed = vault_.Seal(Associated(workspace_id, name), value);
  auto now = static_cast<std::int64_t>(NowMillis());
  return store_.secrets().PutSecret(
      workspace_id, store::SealedSecret{name, sealed.nonce, sealed.ciphertext, now, now});
}

StatusOr<std::string> SecretService::Get(std::int64_t workspace_id, const std::string& name) {
  RETURN_IF_ERROR(ValidateSecretName(name));
  ASSIGN_OR_RETURN(auto s, store_.secrets().GetSecret(workspace_id, name));
  return vault_.Unseal(Associated(workspace_id, name), Sealed{s.nonce, s.ciphertext});
}

StatusOr<std::vector<SecretInfo>> SecretService::List(std::int64_t workspace_id) {
  ASSIGN_OR_RETURN(auto list, store_.secrets().ListSecrets(workspace_id));
  std::vector<SecretInfo> out;
  for (const auto& s : list) out.push_back({s.name, s.creation_time, s.update_time});
  return out;
}

Status SecretService::Delete(std::int64_t workspace_id, const std::string& name) {
  RETURN_IF_ERROR(ValidateSecretName(name));
  return store_.secrets().DeleteSecret(workspace_id, name);
}

StatusOr<std::string> SecretService::Expand(std::int64_t workspace_id, const std::string& text) {
  static constexpr std::string_view kOpen = "${{secrets.";
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t start = text.find(kOpen, pos);
    if (start == std::string::npos) {
      out.append(text, pos, std::string::npos);
      return out;
    }
    size_t end = text.find("}}", start);
    if (end == std::string::npos) {
      return InvalidArgument("Unterminated secret reference at '" + text.substr(start, 40) + "'");
    }
    std::string name = text.substr(start + kOpen.size(), end - start - kOpen.size());
    while (!name.empty() && name.back() == ' ') name.pop_back();
    auto value = Get(workspace_id, name);
    if (!value.ok()) {
      if (value.status().code() == ErrorCode::kResourceDoesNotExist) {
        return NotFound("The secret '" + name + "' referenced by ${{secrets." + name +
                        "}} does not exist in this workspace.");
      }
      return value.status();
    }
    out.append(text, pos, start - pos);
    out += *value;
    pos = end + 2;
  }
}

}  // namespace mlws::auth
