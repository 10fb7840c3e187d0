"""How tracks sound: the log-mel front end, the ONNX model, analysis, similarity search."""
