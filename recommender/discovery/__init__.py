"""From taste to tracks: item CF, the taste model, recommendations, radio, mixes, flows."""
