import i18next, { type TFunction } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en, type Messages } from './en';
import { hi } from './hi';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: Messages };
  }
}

export const LANGS = ['en', 'hi'] as const;
export type Lang = (typeof LANGS)[number];

const STORAGE_KEY = 'counter.lang';

export const resources = { en: { translation: en }, hi: { translation: hi } } as const;

function storedLang(): Lang {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    return v === 'hi' ? 'hi' : 'en';
  } catch {
    return 'en';
  }
}

/** Sets up i18next synchronously (the texts are bundled) in the language chosen last time. */
export function initI18n(lang: Lang = storedLang()): typeof i18next {
  if (!i18next.isInitialized) {
    void i18next.use(initReactI18next).init({
      resources,
      lng: lang,
      fallbackLng: 'en',
      initAsync: false,
      // React escapes text itself
      interpolation: { escapeValue: false },
      returnNull: false,
    });
  } else if (i18next.language !== lang) {
    void i18next.changeLanguage(lang);
  }
  document.documentElement.lang = lang;
  return i18next;
}

export function currentLang(): Lang {
  return i18next.language === 'hi' ? 'hi' : 'en';
}

/** Switches the UI language at run time and remembers it on this PC. */
export function setLang(lang: Lang): void {
  void i18next.changeLanguage(lang);
  document.documentElement.lang = lang;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, lang);
  } catch {
    // private mode or storage full: the choice just is not remembered
  }
}

type Values = Record<string, string | number>;

/** For keys built at run time (error codes, enum values); falls back when the key is missing. */
export function tDynamic(t: TFunction, key: string, fallbackKey: string, values?: Values): string {
  const loose = t as unknown as (k: string | string[], o?: Values) => string;
  return loose([key, fallbackKey], values);
}

/** Text of a field error code (below `errors.field.`) in a fixed language, whatever the UI language. */
export function fieldErrorText(lang: Lang, code: string, values?: Values): string {
  return tDynamic(i18next.getFixedT(lang), `errors.field.${code}`, 'errors.field.invalid', values);
}
