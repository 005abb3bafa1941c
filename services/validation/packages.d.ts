// The role-based-email-addresses package ships no types: it exports an array of local parts.
declare module 'role-based-email-addresses' {
  const roles: readonly string[];
  export = roles;
}
