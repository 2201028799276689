// The feature modules added to the product (README, "Extending"), one line each:
//   export { notesFeature } from '@app/notes';
// `npm run new:module -- <name>` adds the line. Nothing else in the product needs an edit.
export {};
