-- Argo CD health of a Meridian FailoverPolicy: Healthy when the operator found it consistent
-- (PolicyValid, or PolicyValidWithWarnings with the warnings in the message), Degraded when it
-- found a rule that cannot work (PolicyInvalid: the message says which fields to change).
local hs = {}
local status = obj.status
if status == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for Meridian to review the policy"
  return hs
end
if obj.metadata.generation ~= nil and status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for Meridian to review generation " .. obj.metadata.generation
  return hs
end
local c = {}
for _, condition in ipairs(status.conditions) do
  c[condition.type] = condition
end
local told = c.Stalled
if told ~= nil and told.status == "True" then
  hs.status = "Degraded"
elseif c.Ready ~= nil and c.Ready.status == "True" then
  hs.status = "Healthy"
  told = c.Ready
elseif c.Ready ~= nil and c.Ready.status == "False" then
  hs.status = "Degraded"
  told = c.Ready
else
  hs.status = "Progressing"
  told = c.Ready
end
if told ~= nil then
  hs.message = told.reason .. ": " .. told.message
else
  hs.message = "Waiting for Meridian to review the policy"
end
return hs
