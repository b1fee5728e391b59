-- Argo CD health of a Meridian FailoverPolicy. Its rules are checked by the API server when it
-- is applied (schema and CEL), so a stored policy is usable: Healthy, unless the operator reports
-- otherwise in the standard conditions (Stalled: Degraded; Reconciling: Progressing).
local hs = {}
hs.status = "Healthy"
hs.message = "Policy accepted"
local status = obj.status
if status == nil or status.conditions == nil then
  return hs
end
if obj.metadata.generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for Meridian to observe generation " .. obj.metadata.generation
  return hs
end
for _, condition in ipairs(status.conditions) do
  if condition.status == "True" and (condition.type == "Stalled" or condition.type == "Reconciling") then
    if condition.type == "Stalled" then
      hs.status = "Degraded"
    else
      hs.status = "Progressing"
    end
    hs.message = condition.reason .. ": " .. condition.message
    return hs
  end
end
return hs
