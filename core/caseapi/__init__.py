"""The Case API's contract, once: its models, errors, OpenAPI document and client."""
