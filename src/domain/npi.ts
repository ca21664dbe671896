/**
 * National Provider Identifier check digit. An NPI is 9 digits plus a Luhn check digit computed
 * over the ISO 7812 card number `80840` + the 9 digits (CMS, "Requirements for NPI check digit",
 * https://www.cms.gov/Regulations-and-Guidance/Administrative-Simplification/NationalProvIdentStand/Downloads/NPIcheckdigit.pdf).
 */

/** True when `npi` is 10 digits and its last digit is the Luhn check digit of `80840` + the first 9. */
export function isValidNpi(npi: string): boolean {
  if (!/^\d{10}$/.test(npi)) return false;
  const digits = `80840${npi.slice(0, 9)}`;
  let sum = 0;
  // Luhn: double every second digit counting from the right of the payload (the check digit
  // would be the rightmost, so the payload's rightmost digit is doubled).
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = Number(digits[i]);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  const check = (10 - (sum % 10)) % 10;
  return check === Number(npi[9]);
}
