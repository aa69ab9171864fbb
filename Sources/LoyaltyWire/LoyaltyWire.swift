// Generated protobuf code and extensions live here.
