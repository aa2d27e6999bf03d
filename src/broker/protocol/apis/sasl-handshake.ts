/** SaslHandshake (key 17): not advertised; a PLAINTEXT listener answers ILLEGAL_SASL_STATE with no mechanisms. */
import { ErrorCode } from '../error-codes.js';
import type { Writer } from '../primitives.js';

export function encodeSaslHandshakeRefusal(w: Writer): void {
  w.int16(ErrorCode.ILLEGAL_SASL_STATE).int32(0);
}
