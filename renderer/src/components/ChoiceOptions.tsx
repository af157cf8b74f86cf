import { useTranslation } from 'react-i18next';
import { DOSES, GENDERS } from '../../../common/domain';

/** The genders as the options of a select, after an empty first option saying `none`. */
export function GenderOptions({ none }: { none: string }) {
  const { t } = useTranslation();
  return (
    <>
      <option value="">{none}</option>
      {GENDERS.map((g) => (
        <option key={g} value={g}>
          {t(`genderOption.${g}`)}
        </option>
      ))}
    </>
  );
}

/** The doses as the options of a select (values as text, as the select holds them). */
export function DoseOptions() {
  const { t } = useTranslation();
  return (
    <>
      {DOSES.map((d) => (
        <option key={d} value={String(d)}>
          {t('walkin.doseOption', { dose: d })}
        </option>
      ))}
    </>
  );
}
