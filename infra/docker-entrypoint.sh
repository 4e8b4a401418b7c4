#!/bin/sh
# Entry point of the GPT4RoI Functions image: picks the model folder, then starts the Functions host ("$@").
# Gpt4RoI__ModelPath (default /mnt/models/current, the Azure Files share) must hold a manifest.json. When it does
# not (no share mounted yet, a wrong version folder) and GPT4ROI_MODEL_FALLBACK=true, the baked-in tiny model
# ($GPT4ROI_FALLBACK_MODEL) is used instead and a warning is printed, so a first deployment comes up healthy.
# With GPT4ROI_MODEL_FALLBACK=false the path is left as is and the app's option validation fails the start.
set -eu

model="${Gpt4RoI__ModelPath:-}"
if [ -n "$model" ] && [ ! -f "$model/manifest.json" ]; then
  if [ "${GPT4ROI_MODEL_FALLBACK:-false}" = "true" ] && [ -f "${GPT4ROI_FALLBACK_MODEL:-}/manifest.json" ]; then
    echo "gpt4roi: warning: no manifest.json under Gpt4RoI__ModelPath=$model; using the baked-in tiny model $GPT4ROI_FALLBACK_MODEL (set GPT4ROI_MODEL_FALLBACK=false to fail instead)" >&2
    Gpt4RoI__ModelPath="$GPT4ROI_FALLBACK_MODEL"
    export Gpt4RoI__ModelPath
  else
    echo "gpt4roi: error: no manifest.json under Gpt4RoI__ModelPath=$model" >&2
  fi
fi

exec "$@"
