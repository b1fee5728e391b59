-- Runs one Argo CD health or action script the way Argo CD's Lua VM does (gopher-lua, Lua 5.1):
-- the object in the global `obj`, action parameters in `actionParams`, and only the libraries
-- Argo CD opens in production (base, table, and an os with time and date), so a script that
-- leans on string, io or math fails here as it would there. Prints {"result": ...} or
-- {"error": "..."} as JSON. test/harness/argocd-lua.ts appends the call with the inputs.

local function escape(s)
  return (s:gsub('[%c"\\]', function(c)
    local named = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
    return named[c] or string.format("\\u%04x", c:byte())
  end))
end

local function encode(v)
  local t = type(v)
  if t == "nil" then
    return "null"
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "number" then
    if v == math.floor(v) and math.abs(v) < 1e15 then
      return string.format("%d", v)
    end
    return string.format("%.17g", v)
  elseif t == "string" then
    return '"' .. escape(v) .. '"'
  elseif t == "table" then
    local count = 0
    for _ in pairs(v) do
      count = count + 1
    end
    local parts = {}
    if count > 0 and #v == count then
      for i = 1, #v do
        parts[i] = encode(v[i])
      end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, item in pairs(v) do
      parts[#parts + 1] = '"' .. escape(tostring(k)) .. '":' .. encode(item)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode a " .. t)
end

function run_argocd_script(path, object, params, now)
  local chunk, loadError = loadfile(path)
  if not chunk then
    io.write(encode({ error = loadError }))
    return
  end
  local safeOs = { time = function() return now end, date = os.date }
  local env = {
    obj = object,
    actionParams = params,
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
    print = print, select = select, tonumber = tonumber, tostring = tostring, type = type,
    unpack = unpack,
    table = table,
    os = safeOs,
  }
  env.require = function(name)
    if name == "os" then
      return safeOs
    end
    error("module " .. name .. " is not available in Argo CD's Lua VM", 2)
  end
  setfenv(chunk, env)
  local ok, result = pcall(chunk)
  if ok then
    io.write(encode({ result = result }))
  else
    io.write(encode({ error = tostring(result) }))
  end
end
