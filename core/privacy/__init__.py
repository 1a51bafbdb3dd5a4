"""Personal data wherever it rests or is shown: masking, sealing (encryption) and the
file permissions of what Balie keeps."""
