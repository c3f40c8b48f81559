import { describe, expect, it } from "vitest";
import { GrpcCode } from "../errors.js";
import { grpcCodeFromHttpStatus, httpReasonPhrase, httpStatusFromGrpcCode } from "./status-mapping.js";

describe("httpStatusFromGrpcCode (spec §4.3)", () => {
  it.each([
    [GrpcCode.OK, 200],
    [GrpcCode.Canceled, 408],
    [GrpcCode.Unknown, 500],
    [GrpcCode.InvalidArgument, 400],
    [GrpcCode.DeadlineExceeded, 504],
    [GrpcCode.NotFound, 404],
    [GrpcCode.AlreadyExists, 409],
    [GrpcCode.PermissionDenied, 403],
    [GrpcCode.ResourceExhausted, 429],
    [GrpcCode.FailedPrecondition, 400],
    [GrpcCode.Aborted, 409],
    [GrpcCode.OutOfRange, 400],
    [GrpcCode.Unimplemented, 501],
    [GrpcCode.Internal, 500],
    [GrpcCode.Unavailable, 503],
    [GrpcCode.DataLoss, 500],
    [GrpcCode.Unauthenticated, 401],
    // "other"
    [17, 500],
    [99, 500],
    [-1, 500],
  ])("code %i → %i", (code, status) => {
    expect(httpStatusFromGrpcCode(code)).toBe(status);
  });
});

describe("grpcCodeFromHttpStatus (spec §4.5)", () => {
  it.each([
    [200, GrpcCode.OK],
    [201, GrpcCode.OK],
    [204, GrpcCode.OK],
    [299, GrpcCode.OK],
    [400, GrpcCode.Internal],
    [401, GrpcCode.Unauthenticated],
    [403, GrpcCode.PermissionDenied],
    [404, GrpcCode.NotFound],
    [408, GrpcCode.Canceled],
    [409, GrpcCode.AlreadyExists],
    [429, GrpcCode.ResourceExhausted],
    [500, GrpcCode.Unknown],
    [501, GrpcCode.Unimplemented],
    [503, GrpcCode.Unavailable],
    [504, GrpcCode.DeadlineExceeded],
    // anything else → Unknown
    [100, GrpcCode.Unknown],
    [199, GrpcCode.Unknown],
    [300, GrpcCode.Unknown],
    [302, GrpcCode.Unknown],
    [304, GrpcCode.Unknown],
    [402, GrpcCode.Unknown],
    [405, GrpcCode.Unknown],
    [412, GrpcCode.Unknown],
    [502, GrpcCode.Unknown],
    [599, GrpcCode.Unknown],
  ])("status %i → code %i", (status, code) => {
    expect(grpcCodeFromHttpStatus(status)).toBe(code);
  });
});

describe("httpReasonPhrase", () => {
  it.each([
    [200, "OK"],
    [201, "Created"],
    [404, "Not Found"],
    [500, "Internal Server Error"],
    [503, "Service Unavailable"],
    [429, "Too Many Requests"],
    // Go's spelling where Node's differs: this text reaches apps in gRPC errors (spec §4.5)
    [413, "Request Entity Too Large"],
    [414, "Request URI Too Long"],
    [416, "Requested Range Not Satisfiable"],
    [418, "I'm a teapot"],
    // statuses Go has no text for
    [509, ""],
    [299, ""],
    [599, ""],
    [0, ""],
  ])("%i → %j", (status, phrase) => {
    expect(httpReasonPhrase(status)).toBe(phrase);
  });
});
