// The schemas of the /api/v1 routes' bodies. Entities rendered by a shared codec take their
// schema from next to it (asset_json.cc, mlflow_json.cc); the small renderers that live in their
// handler file (users, tokens, groups, roles, secrets, jobs, computes) are described here.
// Responses are closed ("additionalProperties": false) wherever the renderer is, so a field
// rendered but not declared fails tests/schemathesis and tests/e2e/test_openapi.py.
#include "api/openapi_schemas.h"

#include <map>

#include "api/asset_json.h"
#include "api/mlflow_json.h"

namespace mlws::api {

using nlohmann::json;

namespace {

// Bodies described in this file, as one JSON document (name -> schema).
constexpr const char* kSchemas = R"json({
  "Error": {"type": "object", "required": ["error_code", "message"],
            "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}}},
  "Empty": {"type": "object", "additionalProperties": false},
  "Document": {"type": "object", "description": "an OpenAPI document"},

  "WorkspaceCreate": {"type": "object", "required": ["name"],
    "properties": {"name": {"type": "string"}, "description": {"type": "string"}}},
  "WorkspaceReply": {"type": "object", "additionalProperties": false, "required": ["workspace"],
    "properties": {"workspace": {"$ref": "#/components/schemas/Workspace"}}},
  "WorkspaceList": {"type": "object", "additionalProperties": false, "required": ["workspaces"],
    "properties": {"workspaces": {"type": "array",
                                  "items": {"$ref": "#/components/schemas/Workspace"}}}},

  "WhoAmI": {"type": "object", "additionalProperties": false,
    "required": ["user", "authenticated", "auth_required", "workspace", "allowed_actions"],
    "properties": {"user": {"type": "string"}, "authenticated": {"type": "boolean"},
      "auth_required": {"type": "boolean"}, "workspace": {"type": "string"},
      "allowed_actions": {"type": "object", "additionalProperties": {"type": "boolean"}}}},
  "User": {"type": "object", "additionalProperties": false,
    "required": ["name", "creation_time", "disabled"],
    "properties": {"name": {"type": "string"}, "creation_time": {"type": "integer"},
                   "disabled": {"type": "boolean"}}},
  "UserCreate": {"type": "object", "required": ["name", "password"],
    "properties": {"name": {"type": "string"}, "password": {"type": "string"}}},
  "UserReply": {"type": "object", "additionalProperties": false, "required": ["user"],
    "properties": {"user": {"$ref": "#/components/schemas/User"}}},
  "UserList": {"type": "object", "additionalProperties": false, "required": ["users"],
    "properties": {"users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}},

  "Token": {"type": "object", "additionalProperties": false,
    "required": ["id", "name", "user", "prefix", "revoked", "creation_time"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
      "user": {"type": "string"}, "prefix": {"type": "string"}, "revoked": {"type": "boolean"},
      "creation_time": {"type": "integer"}, "expiry_time": {"type": "integer"},
      "last_used_time": {"type": "integer"}}},
  "TokenCreate": {"type": "object", "required": ["name"],
    "properties": {"name": {"type": "string"}, "expires_in_days": {"type": "integer"}}},
  "TokenCreated": {"type": "object", "additionalProperties": false, "required": ["token", "secret"],
    "properties": {"token": {"$ref": "#/components/schemas/Token"},
                   "secret": {"type": "string", "description": "shown once, never stored"}}},
  "TokenList": {"type": "object", "additionalProperties": false, "required": ["tokens"],
    "properties": {"tokens": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}}},

  "Group": {"type": "object", "additionalProperties": false,
    "required": ["name", "creation_time", "members"],
    "properties": {"name": {"type": "string"}, "creation_time": {"type": "integer"},
                   "members": {"type": "array", "items": {"type": "string"}}}},
  "GroupCreate": {"type": "object", "required": ["name"],
    "properties": {"name": {"type": "string"}}},
  "GroupReply": {"type": "object", "additionalProperties": false, "required": ["group"],
    "properties": {"group": {"$ref": "#/components/schemas/Group"}}},
  "GroupList": {"type": "object", "additionalProperties": false, "required": ["groups"],
    "properties": {"groups": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}}}},

  "Role": {"type": "object", "additionalProperties": false,
    "required": ["name", "description", "allow", "deny", "builtin"],
    "properties": {"name": {"type": "string"}, "description": {"type": "string"},
      "allow": {"type": "array", "items": {"type": "string"}},
      "deny": {"type": "array", "items": {"type": "string"}}, "builtin": {"type": "boolean"}}},
  "RoleCreate": {"type": "object", "required": ["name"],
    "properties": {"name": {"type": "string"}, "description": {"type": "string"},
      "allow": {"type": "array", "items": {"type": "string"}},
      "deny": {"type": "array", "items": {"type": "string"}}}},
  "RoleList": {"type": "object", "additionalProperties": false, "required": ["roles"],
    "properties": {"roles": {"type": "array", "items": {"$ref": "#/components/schemas/Role"}}}},
  "RoleAssignment": {"type": "object", "additionalProperties": false,
    "required": ["id", "role", "creation_time", "scope"],
    "properties": {"id": {"type": "integer"}, "role": {"type": "string"},
      "creation_time": {"type": "integer"}, "user": {"type": "string"},
      "group": {"type": "string"}, "scope": {"enum": ["server", "workspace"]},
      "workspace": {"type": "string"}}},
  "RoleAssignmentCreate": {"type": "object", "required": ["role"],
    "properties": {"role": {"type": "string"}, "user": {"type": "string"},
      "group": {"type": "string"},
      "workspace": {"type": "string", "description": "absent or empty: server scope"}}},
  "RoleAssignmentReply": {"type": "object", "additionalProperties": false,
    "required": ["role_assignment"],
    "properties": {"role_assignment": {"$ref": "#/components/schemas/RoleAssignment"}}},
  "RoleAssignmentList": {"type": "object", "additionalProperties": false,
    "required": ["role_assignments"],
    "properties": {"role_assignments": {"type": "array",
                                        "items": {"$ref": "#/components/schemas/RoleAssignment"}}}},
  "AuditEntry": {"type": "object", "additionalProperties": false,
    "required": ["id", "time", "user", "remote_addr", "method", "path", "workspace", "action",
                 "status"],
    "properties": {"id": {"type": "integer"}, "time": {"type": "integer"},
      "user": {"type": "string"}, "remote_addr": {"type": "string"},
      "method": {"type": "string"}, "path": {"type": "string"}, "workspace": {"type": "string"},
      "action": {"type": "string"}, "status": {"type": "integer"}}},
  "AuditList": {"type": "object", "additionalProperties": false, "required": ["entries"],
    "properties": {"entries": {"type": "array",
                               "items": {"$ref": "#/components/schemas/AuditEntry"}}}},

  "SecretName": {"type": "object", "additionalProperties": false,
    "required": ["name", "creation_time", "update_time"],
    "properties": {"name": {"type": "string"}, "creation_time": {"type": "integer"},
                   "update_time": {"type": "integer"}}},
  "SecretList": {"type": "object", "additionalProperties": false, "required": ["secrets"],
    "properties": {"secrets": {"type": "array",
                               "items": {"$ref": "#/components/schemas/SecretName"}}}},
  "SecretSet": {"type": "object", "required": ["value"],
    "properties": {"value": {"type": "string"}}},
  "Secret": {"type": "object", "additionalProperties": false, "required": ["name", "value"],
    "properties": {"name": {"type": "string"}, "value": {"type": "string"}}},

  "AssetSpec": {"type": "object",
    "description": "the asset's YAML spec as JSON (name, version, path, type, description, tags, properties and the kind's own fields)",
    "properties": {"name": {"type": "string"}, "version": {"type": "string"},
      "description": {"type": "string"}, "type": {"type": "string"}, "path": {"type": "string"},
      "tags": {"type": "object", "additionalProperties": {"type": "string"}},
      "properties": {"type": "object", "additionalProperties": {"type": "string"}}}},
  "AssetUpdate": {"type": "object",
    "properties": {"description": {"type": "string"},
      "tags": {"type": "object", "additionalProperties": {"type": "string"}}}},
  "AssetList": {"type": "object", "additionalProperties": false, "required": ["value"],
    "properties": {"value": {"type": "array", "items": {"$ref": "#/components/schemas/Asset"}}}},
  "AssetLineage": {"type": "object", "additionalProperties": false,
    "required": ["produced_by_run", "used_by_runs"],
    "properties": {
      "produced_by_run": {"oneOf": [{"$ref": "#/components/schemas/RunRef"}, {"type": "null"}]},
      "used_by_runs": {"type": "array", "items": {"$ref": "#/components/schemas/RunRef"}}}},
  "RunLineage": {"type": "object", "additionalProperties": false,
    "required": ["run_id", "experiment_id", "inputs", "outputs"],
    "properties": {"run_id": {"type": "string"}, "experiment_id": {"type": "string"},
      "inputs": {"type": "array", "items": {"$ref": "#/components/schemas/Asset"}},
      "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/Asset"}}}},
  "RunInput": {"type": "object", "required": ["kind", "reference"],
    "properties": {"kind": {"enum": ["model", "data", "environment", "component"]},
                   "reference": {"type": "string"}}},
  "EnvironmentBuildRequest": {"type": "object", "required": ["reference"],
    "properties": {"reference": {"type": "string"}}},
  "EnvironmentBuild": {"type": "object", "additionalProperties": false,
    "required": ["hash", "host_interpreter", "python", "note", "log"],
    "properties": {"hash": {"type": "string"}, "host_interpreter": {"type": "boolean"},
      "python": {"type": "string"}, "note": {"type": "string"},
      "log": {"type": "string", "description": "path of the build log, empty when not built"}}},

  "DatastoreSpec": {"type": "object", "required": ["name", "type"],
    "properties": {"name": {"type": "string"}, "type": {"enum": ["local", "s3"]},
      "description": {"type": "string"}, "path": {"type": "string"},
      "bucket": {"type": "string"}, "prefix": {"type": "string"},
      "endpoint_url": {"type": "string"}, "credentials_secret": {"type": "string"}}},
  "DatastoreList": {"type": "object", "additionalProperties": false, "required": ["value"],
    "properties": {"value": {"type": "array",
                             "items": {"$ref": "#/components/schemas/Datastore"}}}},
  "DatastoreFiles": {"type": "object", "additionalProperties": false, "required": ["files"],
    "properties": {"files": {"type": "array", "items": {"type": "object",
      "additionalProperties": false, "required": ["path", "is_dir"],
      "properties": {"path": {"type": "string"}, "is_dir": {"type": "boolean"},
                     "file_size": {"type": "integer"}}}}}},
  "Upload": {"type": "object", "additionalProperties": false, "required": ["hash", "uri"],
    "properties": {"hash": {"type": "string"}, "uri": {"type": "string"}}},
  "UploadAccepted": {"type": "object", "additionalProperties": false,
    "required": ["hash", "files", "bytes", "uri"],
    "properties": {"hash": {"type": "string"}, "files": {"type": "integer"},
                   "bytes": {"type": "integer"}, "uri": {"type": "string"}}},

  "JobSpec": {"type": "object",
    "description": "an Azure ML command job spec as JSON (command, environment, code, inputs, outputs, compute, ...)",
    "properties": {"command": {"type": "string"}, "name": {"type": "string"},
      "display_name": {"type": "string"}, "experiment_name": {"type": "string"},
      "description": {"type": "string"}, "compute": {"type": "string"},
      "tags": {"type": "object", "additionalProperties": {"type": "string"}}}},
  "Job": {"type": "object", "additionalProperties": false,
    "required": ["name", "type", "display_name", "description", "status", "run_id",
      "experiment_id", "experiment_name", "compute", "command", "created_at", "started_at",
      "ended_at", "exit_code", "error", "inputs", "outputs", "environment",
      "environment_variables", "code", "tags", "archived", "cancel_requested",
      "instance_count", "priority", "timeout", "owner", "node_seconds",
      "price_per_node_hour", "cost", "notes", "process_id"],
    "properties": {"name": {"type": "string"}, "type": {"type": "string"},
      "display_name": {"type": "string"}, "description": {"type": "string"},
      "status": {"type": "string"}, "run_id": {"type": "string"},
      "experiment_id": {"type": "string"}, "experiment_name": {"type": "string"},
      "compute": {"type": "string"}, "command": {"type": "string"},
      "created_at": {"type": "integer"}, "started_at": {"type": ["integer", "null"]},
      "ended_at": {"type": ["integer", "null"]}, "exit_code": {"type": ["integer", "null"]},
      "error": {"type": ["string", "null"]}, "inputs": {"type": "object"},
      "outputs": {"type": "object"}, "environment": {}, "environment_variables": {"type": "object"},
      "code": {}, "tags": {"type": "object"}, "archived": {"type": "boolean"},
      "cancel_requested": {"type": "boolean"}, "instance_count": {"type": "integer"},
      "priority": {"type": "integer"}, "timeout": {"type": ["integer", "null"]},
      "owner": {"type": "string"}, "node_seconds": {"type": "number"},
      "price_per_node_hour": {"type": "number"}, "cost": {"type": "number"},
      "notes": {"type": "array"}, "process_id": {"type": ["integer", "null"]},
      "environment_note": {"type": "string"}, "resolved_command": {"type": "string"}}},
  "JobList": {"type": "object", "additionalProperties": false, "required": ["value"],
    "properties": {"value": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}}}},
  "JobLogs": {"type": "object", "additionalProperties": false,
    "required": ["data", "next_offset", "finished"],
    "properties": {"data": {"type": "string"}, "next_offset": {"type": "integer"},
                   "finished": {"type": "boolean"}}},
  "JobOutputs": {"type": "object", "additionalProperties": false, "required": ["value"],
    "properties": {"value": {"type": "array", "items": {"type": "object",
      "additionalProperties": false, "required": ["output", "path", "size"],
      "properties": {"output": {"type": "string"}, "path": {"type": "string"},
                     "size": {"type": "integer"}}}}}},
  "ComputeSpec": {"type": "object", "required": ["name"],
    "properties": {"name": {"type": "string"}, "type": {"type": "string"},
      "size": {"type": "string"}, "description": {"type": "string"},
      "min_instances": {"type": "integer"}, "max_instances": {"type": "integer"},
      "idle_time_before_scale_down": {"type": "integer"},
      "price_per_node_hour": {"type": "number"}}},
  "Compute": {"type": "object", "additionalProperties": false,
    "required": ["name", "type", "size", "description", "min_instances", "max_instances",
      "idle_time_before_scale_down", "nodes", "busy", "idle", "queued", "running_jobs",
      "node_seconds", "price_per_node_hour", "cost", "created_at"],
    "properties": {"name": {"type": "string"}, "type": {"type": "string"},
      "size": {"type": "string"}, "description": {"type": "string"},
      "min_instances": {"type": "integer"}, "max_instances": {"type": "integer"},
      "idle_time_before_scale_down": {"type": "integer"}, "nodes": {"type": "integer"},
      "busy": {"type": "integer"}, "idle": {"type": "integer"}, "queued": {"type": "integer"},
      "running_jobs": {"type": "integer"}, "node_seconds": {"type": "number"},
      "price_per_node_hour": {"type": "number"}, "cost": {"type": "number"},
      "created_at": {"type": ["integer", "null"]}}},
  "ComputeList": {"type": "object", "additionalProperties": false, "required": ["value"],
    "properties": {"value": {"type": "array",
                             "items": {"$ref": "#/components/schemas/Compute"}}}},
  "CostByExperiment": {"type": "object", "additionalProperties": false,
    "required": ["experiment_id", "experiment_name", "node_seconds", "cost"],
    "properties": {"experiment_id": {"type": "string"}, "experiment_name": {"type": "string"},
      "node_seconds": {"type": "number"}, "cost": {"type": "number"}}},
  "CostByJob": {"type": "object", "additionalProperties": false,
    "required": ["name", "compute", "node_seconds", "cost"],
    "properties": {"name": {"type": "string"}, "compute": {"type": "string"},
      "node_seconds": {"type": "number"}, "cost": {"type": "number"}}},
  "Cost": {"type": "object", "additionalProperties": false,
    "required": ["currency", "total", "node_seconds", "by_experiment", "by_job"],
    "properties": {"currency": {"type": "string"}, "total": {"type": "number"},
      "node_seconds": {"type": "number"},
      "by_experiment": {"type": "array",
                        "items": {"$ref": "#/components/schemas/CostByExperiment"}},
      "by_job": {"type": "array", "items": {"$ref": "#/components/schemas/CostByJob"}}}},

  "OnlineEndpointSpec": {"type": "object", "description": "a managedOnlineEndpoint spec",
    "properties": {"name": {"type": "string"}, "description": {"type": "string"},
      "auth_mode": {"enum": ["key", "aml_token"]}, "traffic": {"type": ["object", "string"]},
      "mirror_traffic": {"type": ["object", "string"]}, "tags": {"type": "object"}}},
  "OnlineEndpoint": {"type": "object",
    "required": ["name", "auth_mode", "traffic", "mirror_traffic", "scoring_uri"],
    "properties": {"name": {"type": "string"}, "description": {"type": "string"},
      "auth_mode": {"type": "string"}, "traffic": {"type": "object"},
      "mirror_traffic": {"type": "object"}, "tags": {"type": "object"},
      "scoring_uri": {"type": "string"}, "kind": {"type": "string"},
      "provisioning_state": {"type": "string"}, "created_ms": {"type": "integer"},
      "updated_ms": {"type": "integer"}}},
  "OnlineEndpointList": {"type": "object", "required": ["value"],
    "properties": {"value": {"type": "array",
                             "items": {"$ref": "#/components/schemas/OnlineEndpoint"}}}},
  "EndpointKeys": {"type": "object", "required": ["primaryKey", "secondaryKey"],
    "properties": {"primaryKey": {"type": "string"}, "secondaryKey": {"type": "string"}}},
  "EndpointKeyType": {"type": "object",
    "properties": {"key_type": {"enum": ["primary", "secondary"]}}},
  "ScoreRequest": {"description": "the scoring script's input (passed to run() as text)"},
  "ScoreAnswer": {"description": "what run() returned, as JSON"},
  "OnlineDeploymentSpec": {"type": "object", "description": "a managedOnlineDeployment spec",
    "required": ["name", "model"]},
  "OnlineDeployment": {"type": "object",
    "required": ["name", "endpoint_name", "provisioning_state", "instance_count", "instances"],
    "properties": {"name": {"type": "string"}, "endpoint_name": {"type": "string"},
      "provisioning_state": {"type": "string"}, "error": {"type": "string"},
      "instance_count": {"type": "integer"}, "instances": {"type": "array"},
      "request_settings": {"type": "object"}, "model_ref": {"type": "string"}}},
  "OnlineDeploymentList": {"type": "object", "required": ["value"],
    "properties": {"value": {"type": "array",
                             "items": {"$ref": "#/components/schemas/OnlineDeployment"}}}},
  "OnlineDeploymentLogs": {"type": "object", "required": ["logs"],
    "properties": {"logs": {"type": "string"}}}
})json";

RouteSchema Body(std::string request, std::string response, int status = 200) {
  RouteSchema s;
  s.request = std::move(request);
  s.response = std::move(response);
  s.status = status;
  return s;
}

RouteSchema Reads(std::string response, std::vector<QueryParam> query = {}) {
  RouteSchema s;
  s.response = std::move(response);
  s.query = std::move(query);
  return s;
}

// An untyped success body (a file, a log), of `media`.
RouteSchema Bytes(std::string media) {
  RouteSchema s;
  s.response_media = std::move(media);
  return s;
}

const std::map<HandlerFn, RouteSchema>& Table() {
  static const auto* table = [] {
    auto* t = new std::map<HandlerFn, RouteSchema>{
        {OpenApi, Reads("Document")},
        {CreateWorkspace, Body("WorkspaceCreate", "WorkspaceReply", 201)},
        {ListWorkspaces, Reads("WorkspaceList")},
        {GetWorkspace, Reads("WorkspaceReply")},
        {DeleteWorkspace, Reads("Empty")},
        {WhoAmI, Reads("WhoAmI", {{"workspace", "string"}})},
        {CreateUser, Body("UserCreate", "UserReply", 201)},
        {ListUsers, Reads("UserList")},
        {DeleteUser, Reads("Empty")},
        {CreateToken, Body("TokenCreate", "TokenCreated", 201)},
        {ListTokens, Reads("TokenList")},
        {RevokeToken, Reads("Empty")},
        {CreateGroup, Body("GroupCreate", "GroupReply", 201)},
        {ListGroups, Reads("GroupList")},
        {DeleteGroup, Reads("Empty")},
        {AddGroupMember, Reads("Empty")},
        {RemoveGroupMember, Reads("Empty")},
        {ListRoles, Reads("RoleList")},
        {CreateRole, Body("RoleCreate", "Empty", 201)},
        {DeleteRole, Reads("Empty")},
        {CreateRoleAssignment, Body("RoleAssignmentCreate", "RoleAssignmentReply", 201)},
        {ListRoleAssignments, Reads("RoleAssignmentList")},
        {DeleteRoleAssignment, Reads("Empty")},
        {ListAudit, Reads("AuditList", {{"user", "string"},
                                        {"since", "integer"},
                                        {"denied_only", "boolean"},
                                        {"max_results", "integer"}})},
        {ListSecrets, Reads("SecretList")},
        {SetSecret, Body("SecretSet", "Empty")},
        {GetSecret, Reads("Secret")},
        {DeleteSecret, Reads("Empty")},
        {CreateAsset, Body("AssetSpec", "Asset")},
        {ListAssets, Reads("AssetList", {{"reference", "string"},
                                         {"name", "string"},
                                         {"all_versions", "boolean"},
                                         {"include_archived", "boolean"}})},
        {GetAsset, Reads("Asset")},
        {ListAssetVersions, Reads("AssetList", {{"include_archived", "boolean"}})},
        {GetAssetVersion, Reads("Asset")},
        {UpdateAsset, Body("AssetUpdate", "Asset")},
        {DeleteAsset, Reads("Empty")},
        {ArchiveAsset, Reads("Asset")},
        {RestoreAsset, Reads("Asset")},
        {AssetLineage, Reads("AssetLineage")},
        {RunLineage, Reads("RunLineage")},
        {BuildEnvironment, Body("EnvironmentBuildRequest", "EnvironmentBuild")},
        {EnvironmentBuildLog, Bytes("text/plain")},
        {AddRunInput, Body("RunInput", "Asset")},
        {CreateDatastore, Body("DatastoreSpec", "Datastore")},
        {ListDatastores, Reads("DatastoreList")},
        {GetDatastore, Reads("Datastore")},
        {DeleteDatastore, Reads("Empty")},
        {ListDatastoreFiles, Reads("DatastoreFiles", {{"path", "string"}})},
        {DownloadDatastoreFile, Bytes("application/octet-stream")},
        {GetUpload, Reads("Upload")},
        {CreateJob, Body("JobSpec", "Job", 201)},
        {ListJobs, Reads("JobList", {{"include_archived", "boolean"}})},
        {GetJob, Reads("Job")},
        {GetJobLogs, Reads("JobLogs", {{"offset", "integer"}})},
        {CancelJob, Reads("Job")},
        {ArchiveJob, Reads("Job")},
        {RestoreJob, Reads("Job")},
        {ListJobOutputs, Reads("JobOutputs")},
        {DownloadJobOutput, Bytes("application/octet-stream")},
        {CreateCompute, Body("ComputeSpec", "Compute", 201)},
        {ListComputes, Reads("ComputeList")},
        {GetCompute, Reads("Compute")},
        {DeleteCompute, Reads("Empty")},
        {GetCost, Reads("Cost")},
        // Online endpoints and deployments (docs/endpoints.md).
        {CreateOnlineEndpoint, Body("OnlineEndpointSpec", "OnlineEndpoint")},
        {ListOnlineEndpoints, Reads("OnlineEndpointList")},
        {GetOnlineEndpoint, Reads("OnlineEndpoint")},
        {UpdateOnlineEndpoint, Body("OnlineEndpointSpec", "OnlineEndpoint")},
        {DeleteOnlineEndpoint, Reads("Empty")},
        {GetOnlineEndpointKeys, Body("Empty", "EndpointKeys")},
        {RegenerateOnlineEndpointKeys, Body("EndpointKeyType", "EndpointKeys")},
        {ScoreOnlineEndpoint, Body("ScoreRequest", "ScoreAnswer")},
        {CreateOnlineDeployment, Body("OnlineDeploymentSpec", "OnlineDeployment")},
        {ListOnlineDeployments, Reads("OnlineDeploymentList")},
        {GetOnlineDeployment, Reads("OnlineDeployment")},
        {UpdateOnlineDeployment, Body("OnlineDeploymentSpec", "OnlineDeployment")},
        {DeleteOnlineDeployment, Reads("Empty")},
        {GetOnlineDeploymentLogs, Reads("OnlineDeploymentLogs", {{"lines", "integer"}})},
    };
    // The upload body is a tar+zstd archive whose name is its content hash.
    RouteSchema upload = Body("", "UploadAccepted");
    upload.request = "Archive";
    upload.request_media = "application/octet-stream";
    t->emplace(PutUpload, upload);
    return t;
  }();
  return *table;
}

}  // namespace

const RouteSchema* SchemaOf(HandlerFn fn) {
  const auto& t = Table();
  auto it = t.find(fn);
  return it == t.end() ? nullptr : &it->second;
}

const json& ComponentSchemas() {
  static const json* schemas = [] {
    auto* s = new json(json::parse(kSchemas));
    (*s)["Workspace"] = WorkspaceSchema();
    (*s)["Asset"] = AssetSchema();
    (*s)["Datastore"] = DatastoreSchema();
    (*s)["RunRef"] = RunRefSchema();
    (*s)["Archive"] = {{"type", "string"}, {"format", "binary"}};
    return s;
  }();
  return *schemas;
}

}  // namespace mlws::api
